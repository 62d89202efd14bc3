package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one wire format of every byte-stream transport:
 *
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+------------------+
 * | length (unsigned 32-bit, big-endian, payload bytes only)      | payload ...      |
 * +---------------+---------------+---------------+---------------+------------------+
 *
 * "hi"  -> 00 00 00 02 68 69
 * ""    -> 00 00 00 00
 * </pre>
 *
 * Compatible with izilang std.ipc, Kiwi ipc, ipcez and Python's multiprocessing.connection
 * (below 2 GiB). See docs/wire-format.md.
 */
public final class Frames {
    /** Bytes in the length prefix. */
    public static final int HEADER_BYTES = 4;
    /** The default {@code maxFrame}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
    /** The largest {@code maxFrame} that can be configured: 2^31-1. */
    public static final int MAX_FRAME_LIMIT = Integer.MAX_VALUE;
    /** The largest payload a Java array can hold, whatever {@code maxFrame} says. */
    public static final int MAX_ARRAY_PAYLOAD = Integer.MAX_VALUE - 16;

    private static final ValueLayout.OfInt LENGTH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Frames() {
    }

    /**
     * @param context  endpoint, for the message
     * @param call     the call, for the message ({@code send}, {@code write}, ...)
     * @param length   the payload length about to be sent
     * @param maxFrame the connection's maximum
     * @throws FrameTooLongException if {@code length > maxFrame}
     */
    public static void checkSendLength(String context, String call, long length, int maxFrame)
            throws FrameTooLongException {
        if (length > maxFrame) {
            throw new FrameTooLongException(context + ": " + call, length, maxFrame);
        }
    }

    /**
     * Writes a length prefix, big-endian whatever the buffer's byte order.
     *
     * @param buffer where; its position and limit are not changed
     * @param index  the absolute index of the header's first byte
     * @param length the payload length
     * @throws IndexOutOfBoundsException if the header does not fit below the buffer's limit
     */
    public static void putHeader(ByteBuffer buffer, int index, int length) {
        buffer.putInt(index, buffer.order() == ByteOrder.BIG_ENDIAN ? length : Integer.reverseBytes(length));
    }

    /**
     * Encodes one whole frame, header then payload, with one copy of the payload.
     *
     * @param buffer  where
     * @param offset  the offset of the frame's first byte
     * @param payload the array holding the message
     * @param from    the index of the message's first byte in {@code payload}
     * @param length  the message's length
     * @return the frame's length in bytes: {@code HEADER_BYTES + length}
     * @throws IndexOutOfBoundsException if the frame does not fit in the segment, or the message
     *                                   is not inside {@code payload}
     */
    public static int encode(MemorySegment buffer, long offset, byte[] payload, int from, int length) {
        buffer.set(LENGTH, offset, length);
        MemorySegment.copy(payload, from, buffer, ValueLayout.JAVA_BYTE, offset + HEADER_BYTES, length);
        return HEADER_BYTES + length;
    }

    /**
     * As {@link #encode(MemorySegment, long, byte[], int, int)}, from a buffer's remaining bytes
     * (a direct or read-only one, which has no array to copy from) into a buffer, with no
     * segment made for either; the payload's position is not changed.
     *
     * @param buffer  where; its position and limit are not changed
     * @param index   the absolute index of the frame's first byte
     * @param payload the message
     * @return the frame's length in bytes
     * @throws IndexOutOfBoundsException if the frame does not fit below the buffer's limit
     */
    public static int encode(ByteBuffer buffer, int index, ByteBuffer payload) {
        int length = payload.remaining();
        putHeader(buffer, index, length);
        buffer.put(index + HEADER_BYTES, payload, payload.position(), length);
        return HEADER_BYTES + length;
    }

    /**
     * As {@link #encode(MemorySegment, long, byte[], int, int)}, for a payload of at most 2^31-1
     * bytes.
     *
     * @return the frame's length in bytes
     * @throws IndexOutOfBoundsException if the frame does not fit in the segment
     */
    public static long encode(MemorySegment buffer, long offset, MemorySegment payload) {
        long length = payload.byteSize();
        buffer.set(LENGTH, offset, (int) length);
        MemorySegment.copy(payload, 0, buffer, offset + HEADER_BYTES, length);
        return HEADER_BYTES + length;
    }
}
