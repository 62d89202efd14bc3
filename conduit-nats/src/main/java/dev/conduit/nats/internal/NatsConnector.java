package dev.conduit.nats.internal;

import dev.conduit.Connection;
import dev.conduit.spi.support.Timeouts;
import io.nats.client.Message;
import io.nats.client.Subscription;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A client's side of {@link NatsConnection}'s handshake. */
final class NatsConnector {
    /** How long one attempt waits for a listener's answer when the caller gives no time-out. */
    private static final long ANSWER_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private NatsConnector() {
    }

    /**
     * Asks a listener of the subject for a connection, until one answers or the time-out has
     * passed. The server answers at once when nobody serves the subject (its "no responders"
     * status), and then, while time is left, the request is made again.
     *
     * @param s        the settings
     * @param client   the server connection, owned by the connection on success
     * @param maxFrame the longest message to send
     * @param deadline when to give up, by {@link System#nanoTime()}
     * @param timeout  the caller's time-out, for messages
     * @return the connection
     * @throws IOException if no listener answered in time, naming the endpoint, the subject and
     *                     the time waited
     */
    static Connection connect(NatsSettings s, NatsClient client, int maxFrame, long deadline, Duration timeout)
            throws IOException {
        String inbox = client.connection().createInbox();
        Subscription sub = client.connection().subscribe(inbox);
        AtomicBoolean gone = NatsConnection.watchClose(client, inbox);
        boolean done = false;
        try {
            while (true) {
                client.connection().publish(s.subject(), inbox, NatsConnection.control(NatsConnection.OPEN),
                        new byte[0]);
                long left = Math.max(deadline - System.nanoTime(), 0);
                Message answer = client.next(sub, Math.max(left, ANSWER_NANOS),
                        s.name(), "connect");
                if (answer != null && NatsConnection.ACCEPT.equals(NatsConnection.controlOf(answer))
                        && answer.getReplyTo() != null) {
                    done = true;
                    return new NatsConnection(s, client, sub, answer.getReplyTo(), null, gone, maxFrame);
                }
                boolean noListener = answer != null && answer.isStatusMessage();
                if (deadline - System.nanoTime() <= PAUSE_NANOS) {
                    throw new IOException(s.name() + ": connect: " + (noListener ? "no listener serves subject "
                            : "no listener answered on subject ") + s.subject()
                            + (timeout.isZero() ? "" : " after waiting " + Timeouts.text(timeout)));
                }
                Thread.sleep(Duration.ofNanos(PAUSE_NANOS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(s.name() + ": connect: interrupted");
        } finally {
            if (!done) {
                sub.unsubscribe();
                NatsConnection.unwatchClose(client, inbox);
            }
        }
    }
}
