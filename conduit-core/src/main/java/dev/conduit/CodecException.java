package dev.conduit;

import java.io.IOException;
import java.io.Serial;

/**
 * A message's bytes are not a valid encoding for a {@link Codec}. Thrown by
 * {@link Codec#decode}, and by {@link TypedConnection}'s receiving calls with the endpoint and
 * the message's length added; the message is consumed and the connection stays usable.
 */
public final class CodecException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message.
     *
     * @param message what is wrong with the bytes
     */
    public CodecException(String message) {
        super(message);
    }

    /**
     * Makes the exception with its detail message and the decoder's exception that caused it.
     *
     * @param message what is wrong with the bytes
     * @param cause   the decoder's own exception
     */
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
