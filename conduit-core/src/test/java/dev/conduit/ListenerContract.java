package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TestPeers;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract for transports reached through {@link Conduit#listen} and {@link Conduit#connect}. */
public abstract class ListenerContract extends TransportContract {
    static final int MAX_FRAME = 1 << 20;

    /** @return a fresh endpoint to listen on, with {@code maxFrame=1m} */
    protected abstract String endpoint() throws Exception;

    /** @return whether a child JVM can connect to this transport's endpoints */
    protected boolean crossesProcesses() {
        return true;
    }

    @Override
    protected final int maxFrame() {
        return MAX_FRAME;
    }

    protected final Listener listen() throws Exception {
        return track(Conduit.listen(endpoint()));
    }

    /**
     * @return where clients connect to {@code listener}: its endpoint, unless the transport's
     *         clients take other options than its listeners (a {@code wss://} client's trust store)
     */
    protected String clientEndpoint(Listener listener) {
        return listener.endpoint().toString();
    }

    @Override
    protected Connection[] pair() throws Exception {
        Listener listener = listen();
        Connection client = Conduit.connect(clientEndpoint(listener), Duration.ofSeconds(5));
        Connection server = listener.accept(Duration.ofSeconds(10));
        assertNotNull(server, "accept timed out");
        return new Connection[] {client, server};
    }

    @Override
    protected Connection killablePeer() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(crossesProcesses(),
                "this transport stays inside one JVM; there is no peer process to kill");
        Listener listener = listen();
        track(ChildJvm.start(TestPeers.class, "hold", clientEndpoint(listener)));
        Connection survivor = listener.accept(Duration.ofSeconds(30));
        assertNotNull(survivor, "the child did not connect");
        assertEquals("ready", survivor.receiveString(Duration.ofSeconds(30)));
        return survivor;
    }

    @Test
    void acceptTimesOutWithNullAndServesManyClients() throws Exception {
        Listener listener = listen();
        assertNull(listener.accept(Duration.ofMillis(50)));
        List<Connection> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            clients.add(track(Conduit.connect(clientEndpoint(listener), Duration.ofSeconds(5))));
        }
        for (int i = 0; i < 5; i++) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            assertNotNull(server);
            server.send("hello " + i);
        }
        for (int i = 0; i < 5; i++) {
            assertEquals("hello " + i, clients.get(i).receiveString(Duration.ofSeconds(10)));
        }
    }

    @Test
    void closingTheListenerEndsABlockedAcceptAndKeepsConnections() throws Exception {
        Listener listener = listen();
        Connection client = track(Conduit.connect(clientEndpoint(listener), Duration.ofSeconds(5)));
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        CompletableFuture<Throwable> blocked = failureOf(listener::accept);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "accept returned without a client");
        listener.close();
        listener.close();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, t);
        // Named by the endpoint (a transport may hide secret option values in it).
        assertTrue(t.getMessage().startsWith(listener.endpoint().scheme() + ":")
                && t.getMessage().endsWith(": accept: listener closed"), t.getMessage());
        assertThrows(ConnectionClosedException.class, listener::accept);
        client.send("still here");
        assertEquals("still here", server.receiveString(Duration.ofSeconds(10)));
    }
}
