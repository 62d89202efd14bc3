package dev.conduit.spi.support;

import dev.conduit.Connection;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.ListenerCounters;
import dev.conduit.Subscription;
import dev.conduit.internal.ListenerStats;

import java.util.function.Consumer;

/**
 * A listener's counters and events, kept as Conduit's own listeners keep them: a transport's
 * {@link Listener} tells it of each connection it hands out, each peer it turns away and each
 * handshake that failed, and answers {@link Listener#counters()} and
 * {@link Listener#onEvent(Consumer)} from it. Each also commits the JFR event Conduit's listeners
 * commit ({@code dev.conduit.Accept}, {@code dev.conduit.HandshakeFailure}). Any thread; never
 * blocks, except that subscribers to events run on the calling thread.
 */
public final class ListenerStatistics {
    private final ListenerStats stats;

    /**
     * Makes the statistics of one listener, all counters at zero and no subscriber.
     *
     * @param endpoint the listener's endpoint, as its events name it
     */
    public ListenerStatistics(Endpoint endpoint) {
        this.stats = new ListenerStats(endpoint);
    }

    /**
     * Counts a connection {@code accept} hands out and tells subscribers
     * ({@link ConnectionEvent.Connected}).
     *
     * @param connection the connection, or {@code null} (an accept that timed out: not counted)
     * @return {@code connection}, for {@code return statistics.accepted(...)} in {@code accept}
     */
    public Connection accepted(Connection connection) {
        return stats.accepted(connection);
    }

    /** Counts a peer turned away before a connection was made (by its credentials, say). */
    public void refused() {
        stats.refused();
    }

    /**
     * Counts a client dropped because its handshake failed, and tells subscribers
     * ({@link ConnectionEvent.HandshakeRefused}).
     *
     * @param failure what failed
     */
    public void handshakeFailed(Throwable failure) {
        stats.handshakeFailed(failure);
    }

    /**
     * Reads the counters, for {@link Listener#counters()}.
     *
     * @return a recent value of each counter
     */
    public ListenerCounters counters() {
        return stats.read();
    }

    /**
     * Subscribes to the listener's events, for {@link Listener#onEvent(Consumer)}.
     *
     * @param subscriber told of each event from now on, until the subscription is closed
     * @return what ends the subscription
     */
    public Subscription subscribe(Consumer<? super ConnectionEvent> subscriber) {
        return stats.subscribe(subscriber);
    }
}
