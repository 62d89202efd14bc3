package dev.conduit.nats.internal;

import dev.conduit.spi.support.SendMode;
import io.nats.client.Message;
import io.nats.client.Subscription;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The receiving end {@code Conduit.openReceiver} gives for core {@code nats://}: a subscription
 * to the subject (wildcards allowed), in the queue group {@code ?queue=} if given. NATS delivers
 * at most once and has no flow control: a subscriber that falls behind by more than jnats'
 * pending limits (65,536 messages or 64 MiB) loses messages (a "slow consumer"), and what is
 * published while it is disconnected from the server it never sees.
 */
final class NatsSubscriber extends SubscribedConnection {
    private final Subscription subscription;

    NatsSubscriber(NatsSettings settings, NatsClient client) {
        super(settings.endpoint(), settings.name(), Integer.MAX_VALUE, client);
        this.subscription = settings.queue() == null ? client.connection().subscribe(settings.subject())
                : client.connection().subscribe(settings.subject(), settings.queue());
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        Message m = take(subscription, waitNanos);
        return m == null ? null : Bodies.view(m.getData());
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        throw new IOException(name() + ": " + mode.call() + ": Conduit.openReceiver's end only subscribes; publish"
                + " with Conduit.openSender");
    }

    @Override
    protected void closeTransport() {
        try {
            subscription.unsubscribe();
        } catch (IllegalStateException e) {
            // Already ended with its connection: nothing left to undo.
        }
        client.release();
    }
}
