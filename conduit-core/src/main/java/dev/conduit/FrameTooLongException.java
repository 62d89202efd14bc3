package dev.conduit;

import java.io.IOException;

/**
 * A frame declared a length above the connection's maximum ({@code maxFrame}), or a send was
 * asked to carry a message above it. On receive, the connection is closed and nothing of the
 * declared size was allocated; on send, nothing was written.
 */
public final class FrameTooLongException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long length;
    private final long maximum;

    /**
     * @param context names the endpoint and the call
     * @param length  the declared or offered length in bytes
     * @param maximum the configured maximum in bytes
     */
    public FrameTooLongException(String context, long length, long maximum) {
        super(context + ": frame length " + length + " exceeds maxFrame " + maximum);
        this.length = length;
        this.maximum = maximum;
    }

    /** @return the declared or offered length in bytes */
    public long length() {
        return length;
    }

    /** @return the configured maximum in bytes */
    public long maximum() {
        return maximum;
    }
}
