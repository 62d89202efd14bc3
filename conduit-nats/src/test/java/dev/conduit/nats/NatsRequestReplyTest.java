package dev.conduit.nats;

import dev.conduit.Connection;
import dev.conduit.ListenerContract;
import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.atomic.AtomicInteger;

/** {@code listen}/{@code connect} on core NATS held to the listener contract, on a real nats-server. */
class NatsRequestReplyTest extends ListenerContract {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();
    private static final AtomicInteger SUBJECTS = new AtomicInteger();


    @Override
    protected String endpoint() {
        return NATS.get().url("service." + SUBJECTS.incrementAndGet()) + "?maxFrame=1m";
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
