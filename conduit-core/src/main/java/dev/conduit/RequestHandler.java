package dev.conduit;

import java.nio.ByteBuffer;

/** Serves requests made with {@link Connection#request}. */
@FunctionalInterface
public interface RequestHandler {
    /**
     * Handles one request, on the serving thread; the next request waits until this returns.
     *
     * @param request the request, a read-only view valid only during the call
     * @param reply   the way back; answer now or later, from any thread
     * @throws Exception to end the serving loop, which then reports it to its {@code onError}
     */
    void onRequest(ByteBuffer request, Reply reply) throws Exception;
}
