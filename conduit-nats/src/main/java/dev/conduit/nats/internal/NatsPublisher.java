package dev.conduit.nats.internal;

import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.SendMode;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.NUID;
import io.nats.client.PublishOptions;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The sending end {@code Conduit.openSender} gives for {@code nats://}: each message is
 * published to the subject. On core NATS a send returns once jnats has queued the message for
 * the server (at most once, as NATS promises: a subscriber that is not there misses it); with
 * {@code ?stream=} it returns once the stream has stored it (JetStream's publish
 * acknowledgement).
 */
final class NatsPublisher extends MessageConnection {
    /**
     * Bytes of {@code max_payload} a JetStream send keeps for its headers
     * ({@code NATS/1.0}, {@code Nats-Msg-Id} and a 22-character id take about 50).
     */
    static final int HEADER_ROOM = 128;

    private final NatsSettings settings;
    private final NatsClient client;
    private final JetStream jetStream;

    NatsPublisher(NatsSettings settings, NatsClient client, JetStream jetStream, int maxFrame) {
        super(settings.endpoint(), settings.name(), maxFrame);
        this.settings = settings;
        this.client = client;
        this.jetStream = jetStream;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        throw new IOException(name() + ": receive: Conduit.openSender's end only publishes; subscribe with"
                + " Conduit.openReceiver");
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(mode.call());
        }
        client.checkUp(name(), mode.call());
        byte[] body = Bodies.array(message);
        if (jetStream == null) {
            publishCore(body, mode);
            return true;
        }
        publishStored(body, mode);
        return true;
    }

    /**
     * Publishes to the stream until it acknowledges, through a server loss: each attempt has the
     * same message id, so a message stored by an attempt whose acknowledgement was lost is not
     * stored again (JetStream drops it within its duplicate window, 2 minutes by default).
     * Gives up once a failure has lasted {@code ?serverDownTimeout=}.
     */
    private void publishStored(byte[] body, SendMode mode) throws IOException {
        PublishOptions once = PublishOptions.builder().messageId(NUID.nextGlobal()).build();
        long firstFailure = 0;
        while (true) {
            try {
                jetStream.publish(settings.subject(), body, once);
                return;
            } catch (JetStreamApiException e) {
                throw new IOException(name() + ": " + mode.call() + ": stream " + settings.stream() + " refused the"
                        + " message: " + e.getMessage(), e);
            } catch (IOException | IllegalStateException e) {
                if (isClosedLocally()) {
                    throw closedLocally(mode.call());
                }
                client.checkUp(name(), mode.call());
                long now = System.nanoTime();
                firstFailure = firstFailure == 0 ? now | 1 : firstFailure;
                if (now - firstFailure > client.serverDownNanos()) {
                    throw new IOException(name() + ": " + mode.call() + ": no acknowledgement from stream "
                            + settings.stream() + ": " + e.getMessage(), e);
                }
                NatsClient.pause(name(), mode.call());
            }
        }
    }

    private void publishCore(byte[] body, SendMode mode) throws IOException {
        try {
            client.connection().publish(settings.subject(), body);
        } catch (IllegalStateException e) {
            client.checkUp(name(), mode.call());
            throw new IOException(name() + ": " + mode.call() + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected void flushWritten() throws IOException {
        client.connection().flushBuffer();
    }

    @Override
    protected void closeTransport() {
        client.flushQuietly();
        client.release();
    }
}
