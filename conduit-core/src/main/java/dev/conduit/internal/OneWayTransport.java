package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.spi.TransportProvider;

import java.time.Duration;

/**
 * A transport that carries messages one way ({@code fifo:}, {@code mq:}, {@code log:}): it opens
 * senders and receivers, and {@code listen} and {@code connect} refuse, as {@code Conduit} does
 * before it ever calls them.
 */
public interface OneWayTransport extends TransportProvider {
    /** @throws UnsupportedOperationException always, naming the call to use instead */
    @Override
    default Listener listen(Endpoint endpoint) {
        throw new UnsupportedOperationException(endpoint.redacted() + ": listen: " + endpoint.scheme()
                + " carries messages one way: use Conduit.openReceiver");
    }

    /** @throws UnsupportedOperationException always, naming the call to use instead */
    @Override
    default Connection connect(Endpoint endpoint, Duration timeout) {
        throw new UnsupportedOperationException(endpoint.redacted() + ": connect: " + endpoint.scheme()
                + " carries messages one way: use Conduit.openSender");
    }
}
