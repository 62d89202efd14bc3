package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Incremental decoder of length-prefixed frames (see {@link Frames}), correct whatever the
 * split of the input: one byte at a time, partial headers, many frames per read.
 *
 * <p>Bytes are read into one direct buffer, so channel reads need no hidden copy. A frame that
 * fits in the buffer is handed out as a read-only view into it, with no copy and no allocation.
 * A longer frame is collected into a heap array of exactly its declared length, filled as bytes
 * arrive, and that array is handed over whole. A declared length above {@code maxFrame} fails
 * before anything of that size is allocated.
 *
 * <p>Use: call {@link #next()} until it returns {@code false}, then read more input
 * ({@link #readFrom(ReadableByteChannel)}, {@link #readFrom(InputStream)} or {@link #feed}) and
 * repeat. A frame from {@link #frame()} is valid until the next call of any of these.
 * Not thread-safe: one reader at a time.
 */
public final class FrameDecoder {
    /**
     * The default buffer: frames up to this size minus the header are zero-copy, so a 64 KiB
     * message still is.
     */
    public static final int DEFAULT_BUFFER_BYTES = 64 * 1024 + Frames.HEADER_BYTES;

    private final String context;
    private final int maxFrame;
    private final ByteBuffer buffer;
    private final ByteBuffer view;
    private int readIndex;
    private int writeIndex;
    private byte[] large;
    private int largeFilled;
    private ByteBuffer frame;
    private byte[] frameArray;
    private byte[] chunk;
    private boolean sourceDrained;

    /**
     * @param context     the endpoint, for error messages
     * @param maxFrame    the largest payload accepted
     * @param bufferBytes the read buffer's size, at least 64
     */
    public FrameDecoder(String context, int maxFrame, int bufferBytes) {
        if (maxFrame < 0) {
            throw new IllegalArgumentException("maxFrame: " + maxFrame + " (expected >= 0)");
        }
        if (bufferBytes < 64) {
            throw new IllegalArgumentException("bufferBytes: " + bufferBytes + " (expected >= 64)");
        }
        this.context = context;
        this.maxFrame = maxFrame;
        this.buffer = ByteBuffer.allocateDirect(bufferBytes);
        this.view = buffer.asReadOnlyBuffer();
    }

    /**
     * Decodes the next whole frame from the bytes read so far.
     *
     * @return {@code true} if a frame is ready in {@link #frame()}
     * @throws FrameTooLongException if a header declares more than {@code maxFrame} bytes; the
     *                               decoder must not be used afterwards
     */
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
            readIndex += Frames.HEADER_BYTES;
            large = new byte[(int) length];
            largeFilled = 0;
            return continueLarge();
        }
        if (available < needed) {
            compactIfNeeded(needed);
            return false;
        }
        view.limit(readIndex + needed);
        view.position(readIndex + Frames.HEADER_BYTES);
        frame = view;
        readIndex += needed;
        resetIfEmpty();
        return true;
    }

    private boolean continueLarge() {
        int n = Math.min(writeIndex - readIndex, large.length - largeFilled);
        buffer.get(readIndex, large, largeFilled, n);
        readIndex += n;
        largeFilled += n;
        resetIfEmpty();
        if (largeFilled < large.length) {
            return false;
        }
        frameArray = large;
        frame = ByteBuffer.wrap(large).asReadOnlyBuffer();
        large = null;
        return true;
    }

    /** @return the current frame's payload, read-only, valid until the next call; or null */
    public ByteBuffer frame() {
        return frame;
    }

    /**
     * @return the current frame's payload as an array the caller may keep (the decoder's own
     *         array for a large frame, a copy otherwise)
     * @throws IllegalStateException if there is no current frame
     */
    public byte[] frameArray() {
        if (frame == null) {
            throw new IllegalStateException("no current frame");
        }
        if (frameArray != null) {
            byte[] a = frameArray;
            frameArray = null;
            return a;
        }
        byte[] copy = new byte[frame.remaining()];
        frame.get(frame.position(), copy);
        return copy;
    }

    /** @return whether bytes of an incomplete frame are held */
    public boolean midFrame() {
        return large != null || writeIndex > readIndex;
    }

    /** @return how many bytes of the incomplete frame are held, header included */
    public long heldBytes() {
        return (writeIndex - readIndex) + (large == null ? 0 : Frames.HEADER_BYTES + (long) largeFilled);
    }

    /**
     * Reads what the channel has into the buffer (one {@code read} call).
     *
     * @return bytes read, 0 if none (non-blocking channel), -1 at end of stream
     * @throws IOException from the channel
     */
    public int readFrom(ReadableByteChannel channel) throws IOException {
        prepareWrite();
        int room = buffer.capacity() - writeIndex;
        buffer.limit(buffer.capacity()).position(writeIndex);
        int n = channel.read(buffer);
        if (n > 0) {
            writeIndex += n;
        }
        sourceDrained = n >= 0 && n < room;
        return n;
    }

    /**
     * Whether the last {@link #readFrom(ReadableByteChannel)} got fewer bytes than it had room for.
     * A stream socket's {@code read} returns less than asked only when its receive queue is
     * empty, so the channel had nothing more at that moment: a caller that must wait can go
     * straight to its selector instead of reading once more only to learn that.
     *
     * @return whether the channel was drained by the last read (also after a read of 0 bytes)
     */
    public boolean sourceDrained() {
        return sourceDrained;
    }

    /**
     * Reads what the stream gives in one {@code read} call (which may block).
     *
     * @return bytes read, or -1 at end of stream
     * @throws IOException from the stream
     */
    public int readFrom(InputStream in) throws IOException {
        prepareWrite();
        if (chunk == null) {
            chunk = new byte[Math.min(buffer.capacity(), 16 * 1024)];
        }
        int n = in.read(chunk, 0, Math.min(chunk.length, buffer.capacity() - writeIndex));
        if (n > 0) {
            buffer.put(writeIndex, chunk, 0, n);
            writeIndex += n;
        }
        return n;
    }

    /**
     * Copies input into the buffer, as much as fits; call {@link #next()} before feeding more.
     *
     * @return how many bytes were taken
     */
    public int feed(byte[] src, int offset, int length) {
        prepareWrite();
        int n = Math.min(length, buffer.capacity() - writeIndex);
        buffer.put(writeIndex, src, offset, n);
        writeIndex += n;
        return n;
    }

    private void prepareWrite() {
        frame = null;
        frameArray = null;
        if (writeIndex == buffer.capacity()) {
            compactIfNeeded(buffer.capacity());
        }
        if (writeIndex == buffer.capacity()) {
            throw new IllegalStateException(context + ": decoder buffer full; call next() before reading more");
        }
    }

    private void compactIfNeeded(int needed) {
        if (readIndex > 0 && readIndex + needed > buffer.capacity()) {
            int unread = writeIndex - readIndex;
            buffer.put(0, buffer, readIndex, unread);
            readIndex = 0;
            writeIndex = unread;
        }
    }

    private void resetIfEmpty() {
        if (readIndex == writeIndex) {
            readIndex = 0;
            writeIndex = 0;
        }
    }
}
