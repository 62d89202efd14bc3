package dev.conduit.testing.soak;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The soak's messages: {@link dev.conduit.testing.StampedSender}'s 16-byte stamp, with the
 * checksum widened to cover the stamp too, so a message whose number was damaged is corrupt
 * rather than a plausible duplicate or gap.
 *
 * <pre>
 *  0        4        8                 16
 *  +--------+--------+-----------------+---------------------------+
 *  |  run   |  seq   |  CRC-32C of run, seq and payload (u64)     | payload: size(seq) bytes |
 *  +--------+--------+-----------------+---------------------------+
 * </pre>
 *
 * Big-endian. The payload is a function of run and sequence, and its size a function of the
 * sequence alone: mostly small, some up to a few KiB, one in a hundred up to {@code most}, so a
 * kill often lands in the middle of a message longer than a pipe's atomic write.
 */
public final class SoakMessages {
    /** Bytes before the payload. */
    public static final int STAMP = 16;
    /** What {@link #check} returns for a message that is too short or fails its checksum. */
    public static final long CORRUPT = -1;

    private SoakMessages() {
    }

    /** @return the payload size of message {@code seq} when no message may exceed {@code most} payload bytes */
    public static int size(long seq, int most) {
        long h = mix(seq * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        int bucket = (int) Long.remainderUnsigned(h, 100);
        long r = h >>> 17;
        if (bucket < 90) {
            return (int) (r % Math.min(257, most + 1));
        }
        int medium = Math.min(4096, most);
        if (bucket < 99 || most <= 4096) {
            return 257 + (int) (r % Math.max(1, medium - 256));
        }
        return 4097 + (int) (r % (most - 4096));
    }

    /**
     * Writes message {@code seq} of sender run {@code run} at the start of {@code into} and
     * sets its position to 0 and its limit to the message's end.
     */
    public static void fill(ByteBuffer into, int run, long seq, int size) {
        into.clear().order(ByteOrder.BIG_ENDIAN);
        into.putInt(run).putInt((int) seq).putLong(0);
        long x = mix(seq ^ ((long) run << 40));
        int i = 0;
        for (; i + 8 <= size; i += 8) {
            x = mix(x);
            into.putLong(x);
        }
        for (; i < size; i++) {
            into.put((byte) (x >>> (i & 7) * 8));
        }
        into.flip();
        into.putLong(8, crc(into, 0, into.limit()));
    }

    /**
     * Checks one received message, leaving the view's position and limit as they were.
     *
     * @return {@code run << 32 | seq}, or {@link #CORRUPT}
     */
    public static long check(ByteBuffer view) {
        int start = view.position();
        int end = view.limit();
        if (end - start < STAMP) {
            return CORRUPT;
        }
        long stored = view.getLong(start + 8);
        if (stored != crc(view, start, end)) {
            return CORRUPT;
        }
        return (long) view.getInt(start) << 32 | (view.getInt(start + 4) & 0xFFFFFFFFL);
    }

    private static long crc(ByteBuffer b, int start, int end) {
        CRC32C crc = new CRC32C();
        crc.update(b.slice(start, 8));
        crc.update(b.slice(start + STAMP, end - start - STAMP));
        return crc.getValue();
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
