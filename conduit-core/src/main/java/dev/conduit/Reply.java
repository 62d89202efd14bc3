package dev.conduit;

import java.io.IOException;

/**
 * The way back to whoever sent one request ({@link Connection#onRequest}). May be used from any
 * thread, now or later, once.
 */
@FunctionalInterface
public interface Reply {
    /**
     * Sends the reply; the requester's {@link Connection#request} returns it. Never waits for an
     * acknowledgement; blocks only while the connection is full.
     *
     * @param reply the reply's bytes, never {@code null}; not retained
     * @throws IllegalStateException if this request was already answered
     * @throws IOException           if the connection is closed or fails
     */
    void send(byte[] reply) throws IOException;
}
