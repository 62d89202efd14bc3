package dev.conduit;

import java.io.IOException;

/**
 * What {@link Listener#serve} returns: a listener being served, one virtual thread per accepted
 * connection. It owns the listener and every connection it accepted; {@link #close()} closes
 * them all.
 *
 * <p>Every method may be called from any thread, handlers' threads included.
 */
public interface Server extends AutoCloseable {
    /**
     * The endpoint being served. Never blocks.
     *
     * @return the listener's endpoint, as {@link Listener#endpoint()}
     */
    Endpoint endpoint();

    /**
     * How many handlers are running now. Never blocks.
     *
     * @return the number of accepted connections whose handler has not yet ended
     */
    int activeConnections();

    /**
     * Whether this server still accepts. Never blocks. A handler may look at it to finish its
     * work early once {@link #close()} has begun.
     *
     * @return {@code false} once {@code close} has begun
     */
    boolean isOpen();

    /**
     * Blocks until {@link #close()} (called by any thread) has finished.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    void awaitClosed() throws InterruptedException;

    /**
     * Stops accepting (the listener is closed at once, so its socket file goes), gives running
     * handlers the grace period chosen at {@link Listener#serve} to return, then closes the
     * connections of those still running, interrupts their threads, and waits for them to end.
     * A handler that ignores both its connection's close and the interrupt holds this call up.
     * When called from a handler's thread, that thread is not waited for. Idempotent: a later or
     * concurrent call waits until the first has finished.
     *
     * @throws java.io.InterruptedIOException if the calling thread is interrupted while waiting;
     *                                        the closing goes on in the background
     * @throws IOException                    if closing the listener failed (after everything
     *                                        else is done); the server is closed all the same
     */
    @Override
    void close() throws IOException;
}
