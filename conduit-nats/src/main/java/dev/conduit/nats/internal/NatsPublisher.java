package dev.conduit.nats.internal;

import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.SendMode;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;

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
        try {
            jetStream.publish(settings.subject(), body);
        } catch (JetStreamApiException e) {
            throw new IOException(name() + ": " + mode.call() + ": stream " + settings.stream() + " refused the"
                    + " message: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(name() + ": " + mode.call() + ": no acknowledgement from stream "
                    + settings.stream() + ": " + e.getMessage(), e);
        }
        return true;
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
