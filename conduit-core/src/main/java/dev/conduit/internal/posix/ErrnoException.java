package dev.conduit.internal.posix;

import java.io.IOException;

/** A failed C call's {@code errno}, beside the message that names the call and quotes the error's text. */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    ErrnoException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** @return the {@code errno} value, e.g. {@link Errno#ENOENT} */
    public int errno() {
        return errno;
    }
}
