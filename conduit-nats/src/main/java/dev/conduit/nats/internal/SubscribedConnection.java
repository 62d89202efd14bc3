package dev.conduit.nats.internal;

import dev.conduit.ConnectionDownException;
import dev.conduit.Endpoint;
import dev.conduit.spi.support.MessageConnection;
import io.nats.client.Message;
import io.nats.client.Subscription;

import java.io.IOException;

/** A connection whose messages come from one jnats subscription: a subscriber's, or an inbox's. */
abstract class SubscribedConnection extends MessageConnection {
    /** The server connection. */
    protected final NatsClient client;

    SubscribedConnection(Endpoint endpoint, String name, int maxFrame, NatsClient client) {
        super(endpoint, name, maxFrame);
        this.client = client;
    }

    /**
     * Takes the subscription's next message for {@code receive}.
     *
     * @param sub       the subscription
     * @param waitNanos as {@link #nextMessage}
     * @return the message, or {@code null} if none came in time
     * @throws IOException closed locally, interrupted, the server given up, or jnats' failure
     */
    protected final Message take(Subscription sub, long waitNanos) throws IOException {
        try {
            return client.next(sub, waitNanos, name(), "receive");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("receive");
        } catch (IllegalStateException | ConnectionDownException e) {
            throw client.receiveFailure(e, name(), "receive", isClosedLocally() ? closedLocally("receive") : null);
        }
    }
}
