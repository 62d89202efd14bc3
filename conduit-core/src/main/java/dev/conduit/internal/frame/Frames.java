package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

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

    private Frames() {
    }

    /**
     * @param context  endpoint and call, for the message
     * @param length   the payload length about to be sent
     * @param maxFrame the connection's maximum
     * @throws FrameTooLongException if {@code length > maxFrame}
     */
    public static void checkSendLength(String context, long length, int maxFrame) throws FrameTooLongException {
        if (length > maxFrame) {
            throw new FrameTooLongException(context, length, maxFrame);
        }
    }
}
