package dev.conduit;

import java.io.IOException;
import java.time.Duration;

/**
 * Accepts connections at an endpoint, any number over its life. {@code accept} may be called
 * from several threads; each connection goes to exactly one caller.
 */
public interface Listener extends AutoCloseable {
    /**
     * Blocks until a client connects (a peer refused by the endpoint's access rules is closed
     * and never returned).
     *
     * @return the new connection
     * @throws ConnectionClosedException if the listener is closed, before or during the wait
     * @throws IOException               for other transport failures
     */
    Connection accept() throws IOException;

    /**
     * Waits at most {@code timeout} for a client.
     *
     * @param timeout how long to wait; zero or negative means only take a client already
     *                waiting
     * @return the new connection, or {@code null} if none connected in time
     * @throws IOException as {@link #accept()}
     */
    Connection accept(Duration timeout) throws IOException;

    /**
     * The endpoint this listener accepts at. Never blocks; any thread may call it.
     *
     * @return the endpoint clients connect to, with a chosen port or resolved path filled in
     *         (for {@code tcp://host:0}, the port the system picked)
     */
    Endpoint endpoint();

    /**
     * Reads this listener's counters: connections accepted, peers refused, failed handshakes.
     * Never blocks; any thread may call it, at any time, also after close.
     *
     * @return a recent value of each counter (not a consistent snapshot across counters); all
     *         zero for a listener that keeps no counters
     */
    default ListenerCounters counters() {
        return ListenerCounters.ZERO;
    }

    /**
     * Stops accepting and removes any socket file this listener created. Connections already
     * accepted stay open. Idempotent; blocked {@code accept} calls end with
     * {@link ConnectionClosedException}.
     *
     * @throws IOException if removing resources failed; the listener is closed all the same
     */
    @Override
    void close() throws IOException;
}
