package dev.conduit;

import java.io.IOException;
import java.io.Serial;

/**
 * An acknowledged {@code send} (with {@code ?protocol=conduit&ack=true}, or ipcez's semaphores
 * with {@code ?ack=ipcez}) or a {@code request} got no answer in time. The message was sent; whether the peer's application took it is unknown. The
 * connection stays open.
 */
public final class AckTimeoutException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Makes the exception with its detail message.
     *
     * @param message the endpoint, the call, the message's number and the time-out
     */
    public AckTimeoutException(String message) {
        super(message);
    }
}
