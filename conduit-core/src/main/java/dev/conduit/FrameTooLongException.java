package dev.conduit;

import java.io.IOException;

/**
 * A frame declared a length above the connection's maximum ({@code maxFrame}), or a send was
 * asked to carry a message above it. On receive, the connection is closed and nothing of the
 * declared size was allocated; on send, nothing was written.
 */
public final class FrameTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The declared or offered length in bytes. */
    private final long length;
    /** The connection's {@code maxFrame} in bytes. */
    private final long maximum;

    /**
     * Makes the exception; its message is {@code context: frame length L exceeds maxFrame M}.
     *
     * @param context names the endpoint and the call
     * @param length  the declared or offered length in bytes
     * @param maximum the configured maximum in bytes
     */
    public FrameTooLongException(String context, long length, long maximum) {
        super(context + ": frame length " + length + " exceeds maxFrame " + maximum);
        this.length = length;
        this.maximum = maximum;
    }

    /**
     * The length that was too long.
     *
     * @return the declared (on receive) or offered (on send) length in bytes
     */
    public long length() {
        return length;
    }

    /**
     * The limit the length went over.
     *
     * @return the connection's configured {@code maxFrame} in bytes
     */
    public long maximum() {
        return maximum;
    }
}
