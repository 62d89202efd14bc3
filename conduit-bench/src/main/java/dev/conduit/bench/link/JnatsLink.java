package dev.conduit.bench.link;

import dev.conduit.bench.Link;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.NUID;
import io.nats.client.PublishOptions;
import io.nats.client.Subscription;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The NATS client alone, doing what Conduit's {@code nats://} rows do, as their baseline: core
 * NATS publishes to one subject and takes from a subscription to the other; JetStream publishes
 * with a message id and waits for the stream's acknowledgement, and pulls one message at a time
 * from a consumer that lets one out unacknowledged, acknowledging the one before.
 */
public final class JnatsLink implements Link {
    private static final Duration WAIT = Duration.ofDays(1);
    private static final Duration PULL = Duration.ofSeconds(1);

    private final Connection nc;
    private final String out;
    private final Subscription in;
    private final JetStream js;
    private final JetStreamSubscription pull;
    private Message held;
    private int lastLength;

    /**
     * @param nc   the connection, owned from now on
     * @param out  the subject sent to
     * @param in   core NATS: the subscription received from; else {@code null}
     * @param pull JetStream: the pull subscription received from; else {@code null}
     */
    public JnatsLink(Connection nc, String out, Subscription in, JetStreamSubscription pull) throws IOException {
        this.nc = nc;
        this.out = out;
        this.in = in;
        this.pull = pull;
        this.js = pull == null ? null : nc.jetStream();
    }

    @Override
    public void send(byte[] message, int length) throws Exception {
        // jnats keeps the array until its writer thread has sent it: a copy, as Conduit makes.
        byte[] copy = Arrays.copyOf(message, length);
        if (js == null) {
            nc.publish(out, copy);
        } else {
            js.publish(out, copy, PublishOptions.builder().messageId(NUID.nextGlobal()).build());
        }
    }

    @Override
    public byte[] receive() throws Exception {
        if (pull == null) {
            Message m = in.nextMessage(WAIT);
            lastLength = m.getData() == null ? 0 : m.getData().length;
            return m.getData() == null ? new byte[0] : m.getData();
        }
        if (held != null) {
            held.ack();
        }
        List<Message> got;
        do {
            got = pull.fetch(1, PULL);
        } while (got.isEmpty());
        held = got.getFirst();
        lastLength = held.getData() == null ? 0 : held.getData().length;
        return held.getData() == null ? new byte[0] : held.getData();
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() throws IOException {
        try {
            if (held != null) {
                held.ack();
            }
            nc.flush(Duration.ofSeconds(5));
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("jnats: close: the server did not answer a flush within 5 s", e);
        }
    }
}
