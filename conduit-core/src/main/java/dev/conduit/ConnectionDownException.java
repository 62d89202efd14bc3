package dev.conduit;

import java.io.IOException;
import java.io.Serial;

/**
 * A {@code send} on a connection that dials again after loss ({@code ?reconnect=true}) found it
 * down, and it did not come back within {@code ?downTimeout=}. The message was not sent. The
 * connection stays open and goes on trying: a later call may succeed.
 */
public final class ConnectionDownException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message and what ended the last connection.
     *
     * @param message the endpoint, the call and the time waited
     * @param cause   what ended the last connection or the last attempt to make one; may be null
     */
    public ConnectionDownException(String message, Throwable cause) {
        super(message, cause);
    }
}
