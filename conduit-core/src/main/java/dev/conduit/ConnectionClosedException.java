package dev.conduit;

import java.io.IOException;

/**
 * The connection or listener is closed: the peer closed it in order (after everything it sent
 * was received), the peer died, or this side closed it. Never thrown for "no message yet";
 * that is a {@code null} return from the non-blocking and timed calls.
 */
public final class ConnectionClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message.
     *
     * @param message names the endpoint, the call and who closed
     */
    public ConnectionClosedException(String message) {
        super(message);
    }

    /**
     * Makes the exception with its detail message and the failure that ended the connection.
     *
     * @param message names the endpoint, the call and who closed
     * @param cause   the failure that ended the connection
     */
    public ConnectionClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
