package dev.conduit.nats;

import dev.conduit.Connection;
import dev.conduit.ListenerContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

import java.util.concurrent.atomic.AtomicInteger;

/** {@code listen}/{@code connect} on core NATS held to the listener contract, on a real nats-server. */
class NatsRequestReplyTest extends ListenerContract {
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
    protected String endpoint() {
        return server.url("service." + SUBJECTS.incrementAndGet()) + "?maxFrame=1m";
    }

    @Override
    protected Connection killablePeer() {
        Assumptions.abort("NATS does not tell a client that another client died: a killed peer is noticed only by"
                + " the application's own time-outs (docs/nats.md)");
        return null;
    }

    @Override
    protected boolean senderCloseEndsTheStream() {
        return true;
    }

    @Override
    protected boolean fullReceiverBlocksSend() {
        return false;
    }
}
