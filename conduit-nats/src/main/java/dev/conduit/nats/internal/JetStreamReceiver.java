package dev.conduit.nats.internal;

import dev.conduit.ConnectionDownException;
import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.SendMode;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * The receiving end {@code Conduit.openReceiver} gives for {@code nats://…?stream=}: a pull
 * consumer on the stream, filtered to the subject; durable with {@code ?durable=}. Each receive
 * pulls one message and acknowledges the one before it, and {@code close} acknowledges the last:
 * a message counts as done once the application has come back for the next or closed, so a
 * durable receiver that restarts resumes after the last message it handed out, and one that
 * died resumes at the message it held (delivered again after {@link JetStreams#ACK_WAIT}).
 */
final class JetStreamReceiver extends MessageConnection {
    private static final long MIN_PULL_NANOS = Duration.ofMillis(1).toNanos();
    private static final long PULL_SLICE_NANOS = Duration.ofSeconds(1).toNanos();
    /** How long a no-wait pull waits for the server's answer, which comes at once unless it is gone. */
    private static final Duration NO_WAIT_ANSWER = Duration.ofSeconds(2);

    private final NatsSettings settings;
    private final NatsClient client;
    private final JetStreamSubscription subscription;
    private final String consumer;
    private Message held;
    /** The stream sequence of the last message handed out: one delivered again is passed over. */
    private long lastSequence;
    /**
     * Whether the last message handed out was, when delivered, the last the consumer had: the
     * no-wait receive right after it (a {@code poll} taking more) then answers empty without
     * asking the server; the one after that asks.
     */
    private boolean drained;

    private JetStreamReceiver(NatsSettings settings, NatsClient client, JetStreamSubscription subscription,
                              String consumer) {
        super(settings.endpoint(), settings.name(), Integer.MAX_VALUE);
        this.settings = settings;
        this.client = client;
        this.subscription = subscription;
        this.consumer = consumer;
    }

    static JetStreamReceiver open(NatsSettings s, NatsClient client) throws IOException {
        try {
            JetStreamManagement jsm = client.connection().jetStreamManagement();
            JetStreams.ensureStream(s, jsm, "openReceiver");
            String name = s.durable() != null && exists(jsm, s) ? s.durable()
                    : jsm.createConsumer(s.stream(), JetStreams.consumer(s)).getName();
            JetStreamSubscription sub = client.connection().jetStream().subscribe(s.subject(),
                    PullSubscribeOptions.bind(s.stream(), name));
            return new JetStreamReceiver(s, client, sub, name);
        } catch (JetStreamApiException e) {
            throw new IOException(s.name() + ": openReceiver: stream " + s.stream() + (s.durable() == null ? ""
                    : ", consumer " + s.durable()) + ": " + e.getMessage(), e);
        }
    }

    private static boolean exists(JetStreamManagement jsm, NatsSettings s) throws IOException,
            JetStreamApiException {
        try {
            ConsumerInfo info = jsm.getConsumerInfo(s.stream(), s.durable());
            return info != null;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10014) { // consumer not found
                return false;
            }
            throw e;
        }
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally("receive");
        }
        if (held != null) {
            held.ack();
            held = null;
        }
        if (waitNanos == 0 && drained) {
            drained = false;
            return null;
        }
        drained = false;
        long deadline = System.nanoTime() + waitNanos;
        while (true) {
            Message m = waitNanos == 0 ? pullNoWait() : pull(waitNanos < 0 ? PULL_SLICE_NANOS : deadline - System.nanoTime());
            if (m != null && m.metaData().streamSequence() <= lastSequence) {
                // Delivered again because its acknowledgement was lost with a server: done already.
                m.ack();
            } else if (m != null) {
                held = m;
                lastSequence = m.metaData().streamSequence();
                drained = m.metaData().pendingCount() == 0;
                return Bodies.view(m.getData());
            }
            if (waitNanos >= 0 && deadline - System.nanoTime() <= 0) {
                return null;
            }
        }
    }

    /**
     * Asks for one message without waiting for one to be stored: the server answers at once,
     * with the message or with "no messages" (jnats then gives {@code null}). A fetch would
     * wait out its shortest expiry (a millisecond) when there is none, which a {@code poll}
     * pays after every message it takes.
     */
    private Message pullNoWait() throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted("receive");
        }
        try {
            client.checkUp(name(), "receive");
            subscription.pullNoWait(1);
            return subscription.nextMessage(NO_WAIT_ANSWER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("receive");
        } catch (IllegalStateException | ConnectionDownException e) {
            throw client.receiveFailure(e, name(), "receive", isClosedLocally() ? closedLocally("receive") : null);
        }
    }

    /**
     * Pulls one message, waiting up to {@code leftNanos} (at most a slice); while the server
     * connection is down, and not yet given up, waits for it instead.
     */
    private Message pull(long leftNanos) throws IOException {
        // jnats' fetch keeps an interrupt to itself; Conduit's receive ends on one.
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted("receive");
        }
        try {
            client.checkUp(name(), "receive");
            List<Message> got = subscription.fetch(1,
                    Duration.ofNanos(Math.max(MIN_PULL_NANOS, Math.min(leftNanos, PULL_SLICE_NANOS))));
            return got.isEmpty() ? null : got.getFirst();
        } catch (IllegalStateException | ConnectionDownException e) {
            if (isClosedLocally() || e instanceof ConnectionDownException
                    || client.connection().getStatus() == io.nats.client.Connection.Status.CONNECTED) {
                throw client.receiveFailure(e, name(), "receive", isClosedLocally() ? closedLocally("receive") : null);
            }
            client.checkUp(name(), "receive");
            NatsClient.pause(name(), "receive");
            return null;
        }
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        throw new IOException(name() + ": " + mode.call() + ": Conduit.openReceiver's end only consumes; publish"
                + " with Conduit.openSender");
    }

    @Override
    protected void closeTransport() {
        try {
            if (held != null) {
                held.ackSync(Duration.ofSeconds(2));
            }
            subscription.unsubscribe();
            if (settings.durable() == null) {
                client.connection().jetStreamManagement().deleteConsumer(settings.stream(), consumer);
            }
        } catch (IOException | JetStreamApiException | IllegalStateException | TimeoutException e) {
            // The server is gone or refused: the durable consumer resumes at the held message,
            // and an ephemeral one is removed by the server after its inactive threshold.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.release();
        }
    }
}
