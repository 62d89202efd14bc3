package dev.conduit.nats.internal;

import dev.conduit.spi.support.SendMode;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code nats://} connection: two inbox subjects, one per side, each side subscribed to its
 * own and publishing to the other's. {@code connect} publishes an {@value #OPEN} to the served
 * subject with its inbox as reply subject; a listener of the subject's queue group answers with
 * an {@value #ACCEPT} whose reply subject is the inbox it made for this connection. From then
 * on, messages are plain NATS messages between the two inboxes, so a conversation stays with
 * the listener that accepted it; {@code close} publishes a {@value #CLOSE}, which the peer
 * sees, after the messages before it, as an orderly close.
 *
 * <p>A request that reaches the served subject without the {@value #OPEN} header (a plain NATS
 * request from another client) is a connection of one message: {@code receive} gives it, then
 * reports the peer closed; {@code send} answers to its reply subject. NATS does not tell a side that its peer died: a peer gone without closing
 * is noticed only by the application's own time-outs.
 */
final class NatsConnection extends SubscribedConnection {
    /** The header that marks Conduit's control messages. */
    static final String HEADER = "Conduit-Nats";
    /** A client asking for a connection. */
    static final String OPEN = "open";
    /** A listener's answer. */
    static final String ACCEPT = "accept";
    /** An orderly close. */
    static final String CLOSE = "close";

    private final Subscription inbox;
    private final String peer;
    private final String closeWatch;
    private final AtomicBoolean peerGone;
    private Message single;
    private boolean peerClosed;

    /**
     * @param settings the endpoint's settings
     * @param client   the server connection, retained for this connection
     * @param inbox    this side's inbox subscription, or {@code null} for a connection of one
     *                 message
     * @param peer     the subject to publish to
     * @param single   the one message of a connection of one message, else {@code null}
     * @param peerGone with an inbox, what {@link #watchClose} returned for it; else {@code null}
     * @param maxFrame the longest message to send
     */
    NatsConnection(NatsSettings settings, NatsClient client, Subscription inbox, String peer, Message single,
                   AtomicBoolean peerGone, int maxFrame) {
        super(settings.endpoint(), settings.name() + " (" + peer + ")", maxFrame, client);
        this.inbox = inbox;
        this.peer = peer;
        this.single = single;
        this.peerClosed = inbox == null && single == null;
        this.closeWatch = inbox == null ? null : closeSubject(inbox.getSubject());
        this.peerGone = peerGone;
    }

    /**
     * Starts watching for the peer's close announcement to {@code inbox}; call before the peer
     * can learn the inbox (before the {@value #OPEN} or {@value #ACCEPT} that names it), so the
     * server has the subscription before the peer could publish there.
     *
     * @param client the server connection
     * @param inbox  this side's inbox subject
     * @return set, from jnats' dispatcher thread, once the peer has closed
     */
    static AtomicBoolean watchClose(NatsClient client, String inbox) {
        AtomicBoolean gone = new AtomicBoolean();
        client.dispatcher().subscribe(closeSubject(inbox), m -> gone.set(true));
        return gone;
    }

    /**
     * Stops what {@link #watchClose} started.
     *
     * @param client the server connection
     * @param inbox  this side's inbox subject
     */
    static void unwatchClose(NatsClient client, String inbox) {
        client.dispatcher().unsubscribe(closeSubject(inbox));
    }

    /**
     * Where a side's close is announced to the other's sends: its receives see the
     * {@value #CLOSE} in order, in the inbox; a send does not read the inbox, so the close is
     * published here too.
     */
    private static String closeSubject(String inbox) {
        return inbox + ".closed";
    }

    static Headers control(String kind) {
        return new Headers().put(HEADER, kind);
    }

    static String controlOf(Message m) {
        return m.hasHeaders() ? m.getHeaders().getFirst(HEADER) : null;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        if (single != null) {
            Message m = single;
            single = null;
            peerClosed = inbox == null;
            return Bodies.view(m.getData());
        }
        if (peerClosed) {
            throw isClosedLocally() ? closedLocally("receive") : closedByPeer("receive", null);
        }
        Message m = take(inbox, waitNanos);
        if (m != null && CLOSE.equals(controlOf(m))) {
            peerClosed = true;
            throw closedByPeer("receive", null);
        }
        return m == null ? null : Bodies.view(m.getData());
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(mode.call());
        }
        if (peerGone != null && peerGone.get()) {
            throw closedByPeer(mode.call(), null);
        }
        client.checkUp(name(), mode.call());
        try {
            client.connection().publish(peer, Bodies.array(message));
        } catch (IllegalStateException e) {
            client.checkUp(name(), mode.call());
            throw new IOException(name() + ": " + mode.call() + ": " + e.getMessage(), e);
        }
        return true;
    }

    @Override
    protected void flushWritten() throws IOException {
        client.connection().flushBuffer();
    }

    @Override
    protected void closeTransport() {
        try {
            if (inbox != null) {
                if (!peerClosed) {
                    client.connection().publish(peer, control(CLOSE), new byte[0]);
                    client.connection().publish(closeSubject(peer), new byte[0]);
                }
                inbox.unsubscribe();
                client.dispatcher().unsubscribe(closeWatch);
            }
            client.flushQuietly();
        } catch (IllegalStateException e) {
            // The server connection is already closed: the peer cannot be told, nor anything undone.
        } finally {
            client.release();
        }
    }
}
