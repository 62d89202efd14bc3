package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

import java.nio.ByteBuffer;

/**
 * Incremental decoder of length-prefixed frames (see {@link Frames}), correct whatever the
 * split of the input: one byte at a time, partial headers, many frames per read.
 *
 * <p>Bytes are read into one direct buffer, so channel reads need no hidden copy. A frame that
 * fits in the buffer is handed out as a read-only view into it, with no copy and no allocation.
 * A longer frame first waits in the buffer; once it fills the buffer it moves to a heap array
 * that grows (doubling, up to exactly the declared length) as its bytes arrive, and that array
 * is handed over whole. A header alone allocates nothing: a peer that announces 16 MiB and sends
 * a few bytes holds those few bytes, in the buffer it has anyway, and one that sends N bytes of a
 * long frame holds at most 2N. A declared length above {@code maxFrame} fails at once. Bytes held at the end of the input are a frame cut
 * short: {@link #endOfInput()} says so, and no message is made of them.
 *
 * <p>See {@link StreamDecoder} for the calls. Not thread-safe: one reader at a time.
 */
public final class FrameDecoder extends StreamDecoder {
    /** As {@link StreamDecoder#DEFAULT_BUFFER_BYTES}. */
    public static final int DEFAULT_BUFFER_BYTES = StreamDecoder.DEFAULT_BUFFER_BYTES;

    /** The declared length of the frame being collected in {@code large}. */
    private int largeLength;

    /**
     * @param context     the endpoint, for error messages
     * @param maxFrame    the largest payload accepted
     * @param bufferBytes the read buffer's size, at least 64
     */
    public FrameDecoder(String context, int maxFrame, int bufferBytes) {
        this(context, maxFrame, ByteBuffer.allocateDirect(Math.max(bufferBytes, 0)));
    }

    /**
     * As {@link #FrameDecoder(String, int, int)}, reading into {@code buffer}: a transport that frees its
     * memory on close passes one it allocated itself.
     *
     * @param buffer the direct read buffer, whole, at least 64 bytes; the decoder owns it
     */
    public FrameDecoder(String context, int maxFrame, ByteBuffer buffer) {
        super(context, maxFrame, buffer);
    }

    /**
     * Decodes the next whole frame from the bytes read so far.
     *
     * @return {@code true} if a frame is ready in {@link #frame()}
     * @throws FrameTooLongException if a header declares more than {@code maxFrame} bytes; the
     *                               decoder must not be used afterwards
     */
    @Override
    public boolean next() throws FrameTooLongException {
        frame = null;
        frameArray = null;
        if (large != null) {
            return continueLarge();
        }
        int available = writeIndex - readIndex;
        if (available < Frames.HEADER_BYTES) {
            compactIfNeeded(Frames.HEADER_BYTES);
            return false;
        }
        long length = Integer.toUnsignedLong(buffer.getInt(readIndex));
        if (length > maxFrame) {
            throw new FrameTooLongException(context + ": receive", length, maxFrame);
        }
        int needed = Frames.HEADER_BYTES + (int) length;
        if (length > buffer.capacity() - Frames.HEADER_BYTES) {
            if (length > Frames.MAX_ARRAY_PAYLOAD) {
                throw new FrameTooLongException(context + ": receive (Java array limit)", length,
                        Frames.MAX_ARRAY_PAYLOAD);
            }
            // Its bytes wait in the buffer until they fill it: a header costs no allocation.
            compactIfNeeded(buffer.capacity());
            if (writeIndex < buffer.capacity()) {
                return false;
            }
            readIndex += Frames.HEADER_BYTES;
            largeLength = (int) length;
            return continueLarge();
        }
        if (available < needed) {
            compactIfNeeded(needed);
            return false;
        }
        viewOf(readIndex + Frames.HEADER_BYTES, readIndex + needed);
        readIndex += needed;
        resetIfEmpty();
        return true;
    }

    private boolean continueLarge() {
        appendLarge(Math.min(writeIndex - readIndex, largeLength - largeFilled), largeLength);
        resetIfEmpty();
        if (largeFilled < largeLength) {
            return false;
        }
        takeLarge(largeLength);
        return true;
    }

    /** {@inheritDoc} Any byte held is a frame cut short. */
    @Override
    public boolean endOfInput() {
        return midFrame();
    }

    @Override
    public boolean midFrame() {
        return large != null || writeIndex > readIndex;
    }

    @Override
    public long heldBytes() {
        return (writeIndex - readIndex) + (large == null ? 0 : Frames.HEADER_BYTES + (long) largeFilled);
    }
}
