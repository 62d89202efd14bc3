package dev.conduit.internal.frame;

import java.nio.ByteBuffer;

/**
 * A byte stream taken as it comes ({@code ?framing=raw}, axeberg's byte pipes): whatever one
 * read brought is one message, cut at {@code maxFrame} bytes (and at the buffer's size), handed
 * out as a read-only view into the buffer. No byte is ever held back, so nothing is lost or
 * incomplete at the end of the input, and nothing can be too long.
 *
 * <p>See {@link StreamDecoder} for the calls. Not thread-safe: one reader at a time.
 */
public final class RawDecoder extends StreamDecoder {
    /**
     * @param context     the endpoint, for error messages
     * @param maxFrame    the most bytes in one message, at least 1
     * @param bufferBytes the read buffer's size, at least 64
     * @throws IllegalArgumentException if {@code maxFrame} is 0: no byte could ever be handed out
     */
    public RawDecoder(String context, int maxFrame, int bufferBytes) {
        this(context, maxFrame, ByteBuffer.allocateDirect(Math.max(bufferBytes, 0)));
    }

    /**
     * As {@link #RawDecoder(String, int, int)}, reading into {@code buffer}: a transport that frees its
     * memory on close passes one it allocated itself.
     *
     * @param buffer the direct read buffer, whole, at least 64 bytes; the decoder owns it
     */
    public RawDecoder(String context, int maxFrame, ByteBuffer buffer) {
        super(context, maxFrame, buffer);
        if (maxFrame < 1) {
            throw new IllegalArgumentException(context + ": maxFrame=" + maxFrame
                    + " (expected >= 1 with framing=raw, whose messages are the bytes as they come)");
        }
    }

    @Override
    public boolean next() {
        frame = null;
        frameArray = null;
        int held = writeIndex - readIndex;
        if (held == 0) {
            return false;
        }
        int take = Math.min(held, maxFrame);
        viewOf(readIndex, readIndex + take);
        readIndex += take;
        resetIfEmpty();
        return true;
    }

    /** {@inheritDoc} Nothing is ever held between reads. */
    @Override
    public boolean endOfInput() {
        return false;
    }

    @Override
    public boolean midFrame() {
        return false;
    }

    @Override
    public long heldBytes() {
        return 0;
    }
}
