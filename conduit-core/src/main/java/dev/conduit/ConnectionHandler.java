package dev.conduit;

/**
 * Serves one accepted connection for {@link Listener#serve}: called once per connection, on that
 * connection's own virtual thread.
 */
@FunctionalInterface
public interface ConnectionHandler {
    /**
     * Serves {@code connection} until done. The server owns the connection: it closes it when
     * this method returns or throws, so the handler need not (and may not keep it for later).
     * Blocking is expected; each connection has a thread of its own.
     *
     * @param connection the accepted connection, open
     * @throws Exception anything; it ends this connection only. A {@link ConnectionClosedException}
     *                   is the ordinary end (the peer closed or died, or the server cut the
     *                   connection off) and is not reported; anything else goes to the server's
     *                   failure callback
     */
    void handle(Connection connection) throws Exception;
}
