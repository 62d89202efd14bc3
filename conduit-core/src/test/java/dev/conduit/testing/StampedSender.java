package dev.conduit.testing;

import dev.conduit.Conduit;
import dev.conduit.MessageSender;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child process for two-process tests: opens a sender to {@code args[0]}, writes {@code R} to
 * stdout, then sends stamped messages as sender {@code args[1]}: {@code args[2]} of them (-1:
 * until killed), each of at most {@code args[3]} bytes after its 16-byte stamp (sender, number,
 * CRC-32 of the rest). {@link #assertStamped} checks one on the receiving side.
 */
public final class StampedSender {
    private StampedSender() {
    }

    public static void main(String[] args) throws Exception {
        int id = Integer.parseInt(args[1]);
        int count = Integer.parseInt(args[2]) < 0 ? Integer.MAX_VALUE : Integer.parseInt(args[2]);
        int most = Integer.parseInt(args[3]);
        try (MessageSender sender = Conduit.openSender(args[0], Duration.ofSeconds(30))) {
            System.out.write('R');
            System.out.flush();
            for (int i = 0; i < count; i++) {
                sender.send(stamped(id, i, (i * 7919 + id * 31) % (i % 10 == 0 ? most + 1 : Math.min(most + 1, 3000))));
            }
        }
    }

    /** @return message {@code seq} of sender {@code id}, with {@code size} bytes after the stamp */
    public static byte[] stamped(int id, int seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(16 + size);
        b.putInt(id).putInt(seq).putLong(0);
        long x = seq * 0x9E3779B97F4A7C15L + id + 1;
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.put((byte) x);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 16, size);
        b.putLong(8, crc.getValue());
        return b.array();
    }

    /** Checks a stamped message: its sender, number and checksum. */
    public static void assertStamped(byte[] m, int id, int seq) {
        assertTrue(m != null, "message " + seq + " of sender " + id + " did not arrive");
        ByteBuffer b = ByteBuffer.wrap(m);
        assertEquals(id, b.getInt(), "sender");
        assertEquals(seq, b.getInt(), "sequence of sender " + id);
        long crc = b.getLong();
        CRC32 check = new CRC32();
        check.update(b);
        assertEquals(crc, check.getValue(), "checksum of message " + seq + " of sender " + id);
    }
}
