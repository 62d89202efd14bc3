package dev.conduit.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * Copies out of a message in the form {@link AbstractConnection#sendPayload} receives it: a
 * {@code byte[]} (heap buffers come as their arrays), a direct or read-only {@link ByteBuffer}
 * (whose position is never changed), or a {@link MemorySegment}, with the index of the message's
 * first byte in it. No wrapper is made, so a steady stream of sends allocates nothing.
 */
public final class Payloads {
    private Payloads() {
    }

    /**
     * Copies {@code count} bytes of the message, from its byte {@code from} on, into {@code dst}.
     *
     * @param payload the array, buffer or segment holding the message
     * @param offset  the index of the message's first byte in {@code payload}
     * @param dstView {@code dst} as a {@link ByteBuffer}, made once by the caller: a buffer is
     *                copied through it, as a buffer has no copy to a segment that makes nothing
     * @param at      where in {@code dst} the bytes go
     */
    public static void copy(Object payload, int offset, long from, MemorySegment dst, ByteBuffer dstView, long at,
            long count) {
        switch (payload) {
            case byte[] array -> MemorySegment.copy(array, offset + (int) from, dst, ValueLayout.JAVA_BYTE, at,
                    (int) count);
            case ByteBuffer buffer -> dstView.put((int) at, buffer, offset + (int) from, (int) count);
            default -> MemorySegment.copy((MemorySegment) payload, offset + from, dst, at, count);
        }
    }

    /** As {@link #copy(Object, int, long, MemorySegment, ByteBuffer, long, long)}, into an array. */
    public static void copy(Object payload, int offset, long from, byte[] dst, int at, int count) {
        switch (payload) {
            case byte[] array -> System.arraycopy(array, offset + (int) from, dst, at, count);
            case ByteBuffer buffer -> buffer.get(offset + (int) from, dst, at, count);
            default -> MemorySegment.copy((MemorySegment) payload, ValueLayout.JAVA_BYTE, offset + from, dst, at,
                    count);
        }
    }

    /** @return the message's {@code length} bytes, in an array of its own */
    public static byte[] toArray(Object payload, int offset, long length) {
        byte[] copy = new byte[(int) length];
        copy(payload, offset, 0, copy, 0, copy.length);
        return copy;
    }

    /**
     * @param payload the array, buffer or segment holding the message
     * @param offset  the index of the message's first byte in {@code payload}
     * @return the index in the message of the first byte equal to {@code value}, or -1
     */
    public static long indexOf(Object payload, int offset, long length, byte value) {
        MemorySegment bytes = view(payload, offset, length);
        for (long i = 0; i < length; i++) {
            if (bytes.get(ValueLayout.JAVA_BYTE, i) == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * @param payload the array, buffer or segment holding the message
     * @param offset  the index of the message's first byte in {@code payload}
     * @return the message's bytes as a segment over {@code payload}: no copy, valid while it is
     */
    public static MemorySegment view(Object payload, int offset, long length) {
        return switch (payload) {
            case byte[] array -> MemorySegment.ofArray(array).asSlice(offset, length);
            case ByteBuffer buffer -> MemorySegment.ofBuffer(buffer.duplicate().clear()).asSlice(offset, length);
            default -> ((MemorySegment) payload).asSlice(offset, length);
        };
    }
}
