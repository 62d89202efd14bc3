package dev.conduit.nats;

import dev.conduit.OneWayContract;
import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

/** JetStream (?stream=, a receiver from the end) held to the one-way contract, on a real nats-server. */
class NatsJetStreamContractTest extends OneWayContract {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();
    private static final AtomicInteger SUBJECTS = new AtomicInteger();

    @Override
    protected String freshEndpoint() {
        int n = SUBJECTS.incrementAndGet();
        return NATS.get().url("js." + n) + "?stream=JS_" + n + "&maxFrame=" + maxFrame();
    }

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected int maxFrame() {
        // The server's max_payload (1 MiB), less the room a JetStream send keeps for its headers.
        return (1 << 20) - 128;
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
