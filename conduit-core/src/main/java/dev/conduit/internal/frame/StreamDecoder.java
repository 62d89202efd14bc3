package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * What every byte-stream transport reads through: one direct buffer that input is read into,
 * and a {@link Framing}'s rule for cutting messages out of it ({@link FrameDecoder},
 * {@link LineDecoder}, {@link RawDecoder}). A transport holds one of these and never looks at
 * the bytes itself, so the three framings share every transport's reading, waiting and closing.
 *
 * <p>Use: call {@link #next()} until it returns {@code false}, then read more input
 * ({@link #readFrom(ReadableByteChannel)}, {@link #readFrom(InputStream)} or {@link #feed}) and
 * repeat; at the end of the input call {@link #endOfInput()}, then {@link #next()} again for a
 * last message the framing may allow. A message from {@link #frame()} is valid until the next
 * call of any of these. Not thread-safe: one reader at a time.
 */
public abstract sealed class StreamDecoder permits FrameDecoder, LineDecoder, RawDecoder {
    /**
     * The default buffer: frames up to this size minus the header are zero-copy, so a 64 KiB
     * message still is.
     */
    public static final int DEFAULT_BUFFER_BYTES = 64 * 1024 + Frames.HEADER_BYTES;

    final String context;
    final int maxFrame;
    final ByteBuffer buffer;
    final ByteBuffer view;
    int readIndex;
    int writeIndex;
    ByteBuffer frame;
    byte[] frameArray;
    /**
     * Where a message longer than the buffer is collected, or null. It grows as the message's
     * bytes arrive (see {@link #appendLarge}), never when a header merely announces a length, so
     * a peer holds only as much of this process's memory as it really sent (at most twice that).
     */
    byte[] large;
    /** How many bytes of {@link #large} hold the message so far. */
    int largeFilled;
    private byte[] chunk;
    private boolean sourceDrained;

    /** @param buffer the direct read buffer, whole (position 0, limit its capacity); the decoder owns it */
    StreamDecoder(String context, int maxFrame, ByteBuffer buffer) {
        if (maxFrame < 0) {
            throw new IllegalArgumentException("maxFrame: " + maxFrame + " (expected >= 0)");
        }
        if (buffer.capacity() < 64) {
            throw new IllegalArgumentException("bufferBytes: " + buffer.capacity() + " (expected >= 64)");
        }
        this.context = context;
        this.maxFrame = maxFrame;
        this.buffer = buffer;
        this.view = buffer.asReadOnlyBuffer();
    }

    /**
     * Cuts the next whole message from the bytes read so far.
     *
     * @return {@code true} if a message is ready in {@link #frame()}
     * @throws FrameTooLongException if the input holds a message longer than {@code maxFrame};
     *                               the decoder must not be used afterwards
     */
    public abstract boolean next() throws FrameTooLongException;

    /**
     * Says the input has ended. Afterwards {@link #next()} hands out what the framing makes of
     * the bytes still held: a last line without its newline ({@link LineDecoder}); nothing for
     * frames, where such bytes are a frame cut short.
     *
     * @return whether bytes are held that can never make a message: a frame cut short
     */
    public abstract boolean endOfInput();

    /** @return whether bytes of an incomplete message are held */
    public abstract boolean midFrame();

    /** @return how many bytes of the incomplete message are held, header included */
    public abstract long heldBytes();

    /**
     * @return the bytes of heap this decoder holds for an incomplete message beyond its read
     *         buffer (the length of the array it grows as the message arrives); 0 in between
     */
    public final long heldArrayBytes() {
        byte[] a = large;
        return a == null ? 0 : a.length;
    }

    /** @return the current message, read-only, valid until the next call; or null */
    public final ByteBuffer frame() {
        return frame;
    }

    /**
     * @return the current message as an array the caller may keep (the decoder's own array for
     *         a message collected outside the buffer, a copy otherwise)
     * @throws IllegalStateException if there is no current message
     */
    public final byte[] frameArray() {
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

    /**
     * Reads what the channel has into the buffer (one {@code read} call).
     *
     * @return bytes read, 0 if none (non-blocking channel), -1 at end of stream
     * @throws IOException from the channel
     */
    public final int readFrom(ReadableByteChannel channel) throws IOException {
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
    public final boolean sourceDrained() {
        return sourceDrained;
    }

    /**
     * Reads what the stream gives in one {@code read} call (which may block).
     *
     * @return bytes read, or -1 at end of stream
     * @throws IOException from the stream
     */
    public final int readFrom(InputStream in) throws IOException {
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
    public final int feed(byte[] src, int offset, int length) {
        prepareWrite();
        int n = Math.min(length, buffer.capacity() - writeIndex);
        buffer.put(writeIndex, src, offset, n);
        writeIndex += n;
        return n;
    }

    /** Hands out the buffer's bytes {@code [from, to)} as the current message. */
    final void viewOf(int from, int to) {
        view.limit(to);
        view.position(from);
        frame = view;
    }

    /**
     * Moves {@code count} bytes from the buffer's {@code readIndex} to the end of {@link #large},
     * growing it first if they do not fit: to twice its size (the buffer's size counts as the
     * size of no array yet), at least to what is needed, and never past {@code limit}. Growing
     * by doubling copies each byte at most about twice, and keeps the array within twice the
     * bytes that came.
     *
     * @param limit the most the array may ever need to hold, at least {@code largeFilled + count}
     */
    final void appendLarge(int count, long limit) {
        long needed = (long) largeFilled + count;
        if (large == null || needed > large.length) {
            long doubled = 2L * (large == null ? buffer.capacity() : large.length);
            int size = (int) Math.max(needed, Math.min(doubled, limit));
            large = large == null ? new byte[size] : Arrays.copyOf(large, size);
        }
        buffer.get(readIndex, large, largeFilled, count);
        largeFilled += count;
        readIndex += count;
    }

    /**
     * Drops an incomplete message's array, so a closed connection that its owner still holds
     * keeps no heap for it. The decoder must not be used afterwards.
     */
    public final void discard() {
        large = null;
        largeFilled = 0;
    }

    /**
     * Drops a long frame's partial array, from any thread, for a connection closed under its
     * receiver (evicted past its listener's receive budget): the memory is then the collector's
     * at once, not once the receiving thread next runs, which under load can be long after the
     * budget stopped counting it. A receiving thread in this decoder meanwhile may meet it half
     * emptied; its connection reports the close instead of what that thread then throws.
     */
    public final void discardLarge() {
        large = null;
        largeFilled = 0;
    }

    /** Hands {@link #large}'s first {@code length} bytes over as the current message (no copy if exactly full). */
    final void takeLarge(int length) {
        frameArray = length == large.length ? large : Arrays.copyOf(large, length);
        frame = ByteBuffer.wrap(frameArray).asReadOnlyBuffer();
        large = null;
        largeFilled = 0;
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

    /** Moves the unread bytes to the buffer's start if {@code needed} bytes from here would not fit. */
    final void compactIfNeeded(int needed) {
        if (readIndex > 0 && readIndex + needed > buffer.capacity()) {
            int unread = writeIndex - readIndex;
            buffer.put(0, buffer, readIndex, unread);
            readIndex = 0;
            writeIndex = unread;
        }
    }

    final void resetIfEmpty() {
        if (readIndex == writeIndex) {
            readIndex = 0;
            writeIndex = 0;
        }
    }
}
