package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.OneWayContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.concurrent.atomic.AtomicInteger;

/** JetStream (?stream=, a receiver from the end) held to the one-way contract, on a real nats-server. */
class NatsJetStreamContractTest extends OneWayContract {
    private static NatsServer server;
    private static final AtomicInteger SUBJECTS = new AtomicInteger();

    @BeforeAll
    static void startServer() throws Exception {
        server = NatsServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected String freshEndpoint() {
        int n = SUBJECTS.incrementAndGet();
        return server.url("js." + n) + "?stream=JS_" + n + "&maxFrame=" + maxFrame();
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

    static {
        // Loads the transport before the first test, so a missing service registration fails here.
        Conduit.class.getName();
    }
}
