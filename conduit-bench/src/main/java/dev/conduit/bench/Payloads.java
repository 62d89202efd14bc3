package dev.conduit.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * The messages of every benchmark: a sequence number, a checksum and content that changes
 * with the sequence number, so a lost, duplicated, reordered or corrupted message is caught.
 *
 * <pre>
 * 0        4          8               16
 * +--------+----------+---------------+---------------------------+
 * | seq    | crc32c   | seq * golden  | fixed random bytes ...    |
 * +--------+----------+---------------+---------------------------+
 *            (crc32c of bytes 8..end)
 * </pre>
 *
 * A message of length 0 ends a run. Not thread-safe: one instance per thread.
 */
public final class Payloads {
    /** The smallest payload that holds the header. */
    public static final int MIN_SIZE = 16;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] template;
    private final ByteBuffer view;
    private final CRC32C crc = new CRC32C();

    /** @param size the payload size in bytes, at least {@link #MIN_SIZE} */
    public Payloads(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("size: " + size + " (expected >= " + MIN_SIZE + ")");
        }
        template = new byte[size];
        new Random(size).nextBytes(template);
        view = ByteBuffer.wrap(template);
    }

    /** @return the payload size in bytes */
    public int size() {
        return template.length;
    }

    /**
     * @param seq the sequence number
     * @return the message for {@code seq}, in an array reused by the next call
     */
    public byte[] next(int seq) {
        view.putInt(0, seq);
        view.putLong(8, seq * 0x9E3779B97F4A7C15L);
        crc.reset();
        crc.update(template, 8, template.length - 8);
        view.putInt(4, (int) crc.getValue());
        return template;
    }

    /**
     * Checks a received message.
     *
     * @param message     the bytes received
     * @param length      how many of them are the message
     * @param expectedSeq the sequence number it must carry
     * @throws IllegalStateException naming what is wrong, if anything is
     */
    public void verify(byte[] message, int length, int expectedSeq) {
        checkLength(length, expectedSeq);
        int seq = (int) INT.get(message, 0);
        checkSeq(seq, expectedSeq);
        crc.reset();
        crc.update(message, 8, length - 8);
        checkSums((int) crc.getValue(), (int) INT.get(message, 4), (long) LONG.get(message, 8), seq);
    }

    /**
     * Checks a received message where it lies, as a zero-copy receive hands it over.
     *
     * @param message     the message's bytes, from position to limit, read big-endian whatever
     *                    the buffer's order; its position and limit are the same after the call
     * @param expectedSeq the sequence number it must carry
     * @throws IllegalStateException naming what is wrong, if anything is
     */
    public void verify(ByteBuffer message, int expectedSeq) {
        int start = message.position();
        checkLength(message.remaining(), expectedSeq);
        boolean swap = message.order() != ByteOrder.BIG_ENDIAN;
        int seq = swap ? Integer.reverseBytes(message.getInt(start)) : message.getInt(start);
        checkSeq(seq, expectedSeq);
        crc.reset();
        message.position(start + 8);
        crc.update(message);
        message.position(start);
        int carried = message.getInt(start + 4);
        long golden = message.getLong(start + 8);
        checkSums((int) crc.getValue(), swap ? Integer.reverseBytes(carried) : carried,
                swap ? Long.reverseBytes(golden) : golden, seq);
    }

    private void checkLength(int length, int expectedSeq) {
        if (length != template.length) {
            throw new IllegalStateException("message " + expectedSeq + ": length " + length + ", expected "
                    + template.length);
        }
    }

    private static void checkSeq(int seq, int expectedSeq) {
        if (seq != expectedSeq) {
            throw new IllegalStateException("message " + expectedSeq + ": carries sequence number " + seq
                    + " (lost, duplicated or reordered)");
        }
    }

    private static void checkSums(int computedCrc, int carriedCrc, long golden, int seq) {
        if (computedCrc != carriedCrc || golden != seq * 0x9E3779B97F4A7C15L) {
            throw new IllegalStateException("message " + seq + ": checksum mismatch (corrupted)");
        }
    }
}
