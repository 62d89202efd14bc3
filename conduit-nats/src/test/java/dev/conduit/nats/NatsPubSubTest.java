package dev.conduit.nats;

import dev.conduit.OneWayContract;
import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

/** Core NATS publish/subscribe held to the one-way contract, on a real nats-server. */
class NatsPubSubTest extends OneWayContract {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();
    private static final AtomicInteger SUBJECTS = new AtomicInteger();

    @Override
    protected String freshEndpoint() {
        return NATS.get().url("contract." + SUBJECTS.incrementAndGet()) + "?maxFrame=" + maxFrame();
    }

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected int maxFrame() {
        return 1 << 20;
    }

    @Override
    protected boolean senderCloseEndsTheStream() {
        return false;
    }

    @Override
    protected boolean fullReceiverBlocksSend() {
        return false;
    }
}
