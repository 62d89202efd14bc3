package dev.conduit.nats.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.ListenerCounters;
import dev.conduit.spi.support.ArrivalQueue;
import dev.conduit.spi.support.ListenerStatistics;
import dev.conduit.spi.support.Timeouts;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Serves a subject: subscribed to it in the queue group {@code ?queue=} ({@value #QUEUE} by
 * default), so each client's {@code connect} reaches one of the subject's listeners. Each
 * {@value NatsConnection#OPEN} becomes a connection with an inbox of its own (see
 * {@link NatsConnection}); any other request (a message with a reply subject), a connection of
 * that one message; plain publishes, one connection that receives them in order
 * ({@link Publications}). The server
 * connection is shared with the accepted connections and closed with the last of them.
 */
final class NatsListener implements Listener {
    /** The queue group listeners join when the endpoint names none. */
    static final String QUEUE = "conduit";
    /** Connections made and not yet accepted, past which the listener stops taking requests. */
    private static final int BACKLOG = 128;

    private final NatsSettings settings;
    private final NatsClient client;
    private final Dispatcher dispatcher;
    private final int maxFrame;
    private final ListenerStatistics statistics;
    private final ArrivalQueue arrivals;
    private volatile boolean closed;
    private Publications publications;

    NatsListener(NatsSettings settings, NatsClient client, int maxFrame) {
        this.settings = settings;
        this.client = client;
        this.maxFrame = maxFrame;
        this.statistics = new ListenerStatistics(settings.endpoint());
        this.arrivals = new ArrivalQueue(settings.name(), BACKLOG);
        // Requests are answered as they come, before accept: a client's connect does not wait for
        // the application to call accept, as a socket's does not.
        this.dispatcher = client.connection().createDispatcher(this::arrived);
        dispatcher.subscribe(settings.subject(), settings.queue() == null ? QUEUE : settings.queue());
    }

    private void arrived(Message m) throws InterruptedException {
        if (m.getReplyTo() == null) {
            published(m);
            return;
        }
        ArrivalQueue.Place place = arrivals.arrive();
        boolean open = NatsConnection.OPEN.equals(NatsConnection.controlOf(m));
        try {
            client.retain();
            if (!open) {
                place.done(new NatsConnection(settings, client, null, m.getReplyTo(), m, null, maxFrame));
                return;
            }
            Subscription inbox = client.connection().subscribe(client.connection().createInbox());
            AtomicBoolean gone = NatsConnection.watchClose(client, inbox.getSubject());
            place.done(new NatsConnection(settings, client, inbox, m.getReplyTo(), null, gone, maxFrame));
            // Answered once the connection is in the queue: when connect returns, accept has it.
            client.connection().publish(m.getReplyTo(), inbox.getSubject(),
                    NatsConnection.control(NatsConnection.ACCEPT), new byte[0]);
        } catch (RuntimeException e) {
            statistics.handshakeFailed(e);
            place.failed(e);
        }
    }

    /** Runs on jnats' dispatcher thread only, so {@link #publications} needs no lock. */
    private void published(Message m) throws InterruptedException {
        if (publications != null && publications.offer(m)) {
            return;
        }
        ArrivalQueue.Place place = arrivals.arrive();
        client.retain();
        publications = new Publications(settings, client);
        publications.offer(m);
        place.done(publications);
    }

    @Override
    public Connection accept() throws IOException {
        return take(-1);
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return take(Timeouts.waitNanos(timeout));
    }

    private Connection take(long waitNanos) throws IOException {
        try {
            Connection c = NatsClient.inSlices(waitNanos, nanos -> {
                // Once closed, the arrivals say so, not the server connection this listener let go.
                if (!closed) {
                    client.checkUp(settings.name(), "accept");
                }
                return arrivals.take(nanos);
            });
            return c == null ? null : statistics.accepted(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(settings.name() + ": accept: interrupted");
        }
    }

    @Override
    public Endpoint endpoint() {
        return settings.endpoint();
    }

    @Override
    public ListenerCounters counters() {
        return statistics.counters();
    }

    @Override
    public dev.conduit.Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return statistics.subscribe(subscriber);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            client.connection().closeDispatcher(dispatcher);
        } catch (IllegalStateException e) {
            // Ended with its server connection already.
        }
        arrivals.close();
        client.release();
    }
}
