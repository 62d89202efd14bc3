package dev.conduit;

import java.io.IOException;
import java.io.Serial;

/**
 * The authentication that an endpoint's {@code ?authkey=} or {@code ?authkeyFile=} asks for
 * (Python's {@code multiprocessing.connection} challenge) failed: the two sides' keys differ,
 * the peer does not use a key, or it broke off or fell silent during the challenge. The message
 * names the endpoint (its key hidden) and says which; it never contains the key. The connection
 * it happened on is closed.
 */
public final class AuthenticationException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message.
     *
     * @param message the endpoint, the step and what went wrong, without the key
     */
    public AuthenticationException(String message) {
        super(message);
    }

    /**
     * Makes the exception with its detail message and the failure that caused it.
     *
     * @param message the endpoint, the step and what went wrong, without the key
     * @param cause   the failure that ended the challenge, e.g. the peer closing the connection
     */
    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
