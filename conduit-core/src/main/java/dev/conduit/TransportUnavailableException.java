package dev.conduit;

import java.io.IOException;

/**
 * No transport for the endpoint's scheme can be used here: its module is not on the class
 * path, or the operating system does not offer the mechanism. The message says which and what
 * to add.
 */
public final class TransportUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message.
     *
     * @param message names the endpoint, the scheme and what is missing
     */
    public TransportUnavailableException(String message) {
        super(message);
    }
}
