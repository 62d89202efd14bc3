package dev.conduit.nats.internal;

import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.SendMode;
import io.nats.client.Message;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a listener hands out for plain publishes to its subject (messages with neither
 * Conduit's handshake nor a reply subject, such as those of {@code Conduit.openSender} or
 * {@code conduit send}): one connection that receives them all in the order they came, and
 * cannot answer. Once the application closes it, the next publish starts another.
 */
final class Publications extends MessageConnection {
    private final NatsClient client;
    private final LinkedBlockingQueue<Message> arrived = new LinkedBlockingQueue<>();

    Publications(NatsSettings settings, NatsClient client) {
        super(settings.endpoint(), settings.name() + " (publications)", Integer.MAX_VALUE);
        this.client = client;
    }

    /**
     * Adds a publish, from jnats' dispatcher thread.
     *
     * @param m the message
     * @return whether it was taken; {@code false} once this connection is closed
     */
    boolean offer(Message m) {
        if (isClosedLocally()) {
            return false;
        }
        arrived.add(m);
        return true;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        try {
            Message m = NatsClient.inSlices(waitNanos, nanos -> {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                client.checkUp(name(), "receive");
                return arrived.poll(nanos, TimeUnit.NANOSECONDS);
            });
            return m == null ? null : Bodies.view(m.getData());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("receive");
        }
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        throw new IOException(name() + ": " + mode.call() + ": these messages were published without a reply"
                + " subject, so there is no one to answer");
    }

    @Override
    protected void closeTransport() {
        client.release();
    }
}
