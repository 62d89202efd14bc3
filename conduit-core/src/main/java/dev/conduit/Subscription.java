package dev.conduit;

/**
 * A subscriber's hold on what it subscribed to; {@link #close()} ends it. Idempotent; any thread.
 */
public interface Subscription extends AutoCloseable {
    /** Stops the subscription: no event is handed to the subscriber after this returns. */
    @Override
    void close();
}
