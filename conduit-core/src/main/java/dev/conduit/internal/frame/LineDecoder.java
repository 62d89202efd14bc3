package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;

import java.nio.ByteBuffer;

/**
 * Cuts a byte stream into lines ({@code ?framing=lines}): a message is the bytes before each
 * {@code \n}, without the {@code \n} and without one {@code \r} just before it.
 *
 * <pre>
 * 68 69 0A 6F 6B 0D 0A 0A 6C 61 73 74   ->  "hi", "ok", "", then at the end of the input "last"
 * </pre>
 *
 * <p>A line that fits in the buffer is handed out as a read-only view into it. A longer one is
 * collected in a heap array that grows as its bytes arrive (doubling), never past
 * {@code maxFrame + 1} bytes: a line that cannot fit in {@code maxFrame} is refused with
 * {@link FrameTooLongException} as soon as its bytes show it, so a peer that never sends a
 * newline costs at most {@code maxFrame} bytes of memory, and only as many as it really sent.
 * Each byte is looked at once, however the input is split. At the end of the input, bytes after
 * the last newline are a last line, handed out by {@link #next()} after {@link #endOfInput()}.
 *
 * <p>See {@link StreamDecoder} for the calls. Not thread-safe: one reader at a time.
 */
public final class LineDecoder extends StreamDecoder {
    private static final byte LF = '\n';
    private static final byte CR = '\r';

    /** Bytes after {@code readIndex} already known to hold no newline. */
    private int scanned;
    private boolean ended;

    /**
     * @param context     the endpoint, for error messages
     * @param maxFrame    the longest line accepted, without its {@code \r\n}
     * @param bufferBytes the read buffer's size, at least 64
     */
    public LineDecoder(String context, int maxFrame, int bufferBytes) {
        this(context, maxFrame, ByteBuffer.allocateDirect(Math.max(bufferBytes, 0)));
    }

    /**
     * As {@link #LineDecoder(String, int, int)}, reading into {@code buffer}: a transport that frees its
     * memory on close passes one it allocated itself.
     *
     * @param buffer the direct read buffer, whole, at least 64 bytes; the decoder owns it
     */
    public LineDecoder(String context, int maxFrame, ByteBuffer buffer) {
        super(context, maxFrame, buffer);
    }

    @Override
    public boolean next() throws FrameTooLongException {
        frame = null;
        frameArray = null;
        if (large != null) {
            return continueLarge();
        }
        int newline = find(readIndex + scanned, writeIndex);
        if (newline >= 0) {
            int end = newline > readIndex && buffer.get(newline - 1) == CR ? newline - 1 : newline;
            checkLine(end - readIndex);
            viewOf(readIndex, end);
            readIndex = newline + 1;
            scanned = 0;
            resetIfEmpty();
            return true;
        }
        int held = writeIndex - readIndex;
        scanned = held;
        checkHeld(held, held > 0 && buffer.get(writeIndex - 1) == CR);
        if (ended) {
            return held > 0 && lastLine();
        }
        if (held == buffer.capacity()) {
            appendLarge(held, limit());
            readIndex = 0;
            writeIndex = 0;
            scanned = 0;
        }
        return false;
    }

    /** Takes the buffer's bytes up to a newline (or all of them) into {@code large}. */
    private boolean continueLarge() throws FrameTooLongException {
        int newline = find(readIndex, writeIndex);
        int end = newline >= 0 ? newline : writeIndex;
        append(end - readIndex);
        readIndex = newline >= 0 ? newline + 1 : end;
        resetIfEmpty();
        if (newline < 0) {
            checkHeld(largeFilled, largeFilled > 0 && large[largeFilled - 1] == CR);
            if (!ended) {
                return false;
            }
        }
        int length = largeFilled > 0 && large[largeFilled - 1] == CR ? largeFilled - 1 : largeFilled;
        checkLine(length);
        takeLarge(length);
        return true;
    }

    private void append(int count) throws FrameTooLongException {
        long needed = (long) largeFilled + count;
        // Loosely (as if a \r came last): the exact check follows once the line's end is known.
        checkHeld(needed, true);
        appendLarge(count, limit());
    }

    /** @return the most bytes a line's array may ever need: the line and a {@code \r} */
    private long limit() {
        return Math.min((long) maxFrame + 1, Frames.MAX_ARRAY_PAYLOAD);
    }

    /** Hands out the bytes held at the end of the input as the last line. */
    private boolean lastLine() throws FrameTooLongException {
        int end = buffer.get(writeIndex - 1) == CR ? writeIndex - 1 : writeIndex;
        checkLine(end - readIndex);
        viewOf(readIndex, end);
        readIndex = writeIndex;
        scanned = 0;
        resetIfEmpty();
        return true;
    }

    /** @return the index of the first newline in {@code [from, to)} of the buffer, or -1 */
    private int find(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer.get(i) == LF) {
                return i;
            }
        }
        return -1;
    }

    private void checkLine(long length) throws FrameTooLongException {
        if (length > maxFrame) {
            throw tooLong(length);
        }
    }

    /**
     * Refuses {@code held} bytes of a line whose newline has not come, once no ending can bring
     * it within {@code maxFrame}: only a {@code \r} just before the newline is not counted.
     */
    private void checkHeld(long held, boolean endsInCr) throws FrameTooLongException {
        long atLeast = endsInCr ? held - 1 : held;
        if (atLeast > maxFrame) {
            throw tooLong(atLeast);
        }
        if (held > Frames.MAX_ARRAY_PAYLOAD) {
            throw new FrameTooLongException(context + ": receive (framing=lines, Java array limit)", held,
                    Frames.MAX_ARRAY_PAYLOAD);
        }
    }

    private FrameTooLongException tooLong(long length) {
        return new FrameTooLongException(context + ": receive (framing=lines, a line of at least " + length
                + " bytes)", length, maxFrame);
    }

    /** {@inheritDoc} Bytes after the last newline are a last line: never an error. */
    @Override
    public boolean endOfInput() {
        ended = true;
        return false;
    }

    @Override
    public boolean midFrame() {
        return large != null || writeIndex > readIndex;
    }

    @Override
    public long heldBytes() {
        return (writeIndex - readIndex) + (large == null ? 0 : (long) largeFilled);
    }
}
