package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.ListenerCounters;
import dev.conduit.Subscription;
import dev.conduit.internal.jfr.JfrEvents;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A listener's counters, and the JFR events that go with them. Counted with atomic adds: accepts
 * and refusals are rare next to messages, and come from several threads (handshakes run on
 * threads of their own).
 */
public final class ListenerStats {
    private final Endpoint endpoint;
    private final String name;
    private final EventSubscribers events = new EventSubscribers();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong handshakeFailures = new AtomicLong();

    /** @param endpoint the listener's endpoint, named in events by {@link Endpoint#redacted()} */
    public ListenerStats(Endpoint endpoint) {
        this.endpoint = endpoint;
        this.name = endpoint.redacted();
    }

    /**
     * Counts a connection {@code accept} hands out.
     *
     * @return {@code connection}, which may be {@code null} (an accept that timed out: not counted)
     */
    public Connection accepted(Connection connection) {
        if (connection != null) {
            accepted.incrementAndGet();
            JfrEvents.accepted(name, connection.toString());
            if (events.any()) {
                events.fire(new ConnectionEvent.Connected(endpoint, connection.toString(), 0));
            }
        }
        return connection;
    }

    /** Counts a peer turned away before a connection was made. */
    public void refused() {
        refused.incrementAndGet();
    }

    /** Counts a client dropped because its handshake failed. */
    public void handshakeFailed(Throwable failure) {
        handshakeFailures.incrementAndGet();
        JfrEvents.handshakeFailed(name, failure);
        if (events.any()) {
            events.fire(new ConnectionEvent.HandshakeRefused(endpoint,
                    failure instanceof IOException io ? io : new IOException(failure)));
        }
    }

    /** Subscribes to the listener's events: the listener's {@code onEvent}. */
    public Subscription subscribe(Consumer<? super ConnectionEvent> subscriber) {
        return events.add(subscriber);
    }

    /** @return a recent value of each counter */
    public ListenerCounters read() {
        return new ListenerCounters(accepted.get(), refused.get(), handshakeFailures.get());
    }
}
