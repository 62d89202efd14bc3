package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TestPeers;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract of {@link Listener#serve} for a transport: failures, close with a grace period,
 * killed clients. A transport's test subclasses it and gives the endpoints ({@code ServeTest}
 * for the built-ins, {@code WebSocketServeTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ServeContract {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();
    /** What the servers reported, by the failing endpoint's text. */
    private final Map<String, Throwable> failures = new ConcurrentHashMap<>();

    @AfterEach
    void cleanUp() throws Exception {
        children.forEach(ChildJvm::kill);
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    /** @return a fresh endpoint to listen on */
    protected abstract String endpoint() throws IOException;

    /** @return whether a child JVM can connect to this transport's endpoints */
    protected boolean crossesProcesses() {
        return true;
    }

    /** Closes {@code resource} after the test, after the servers and connections. */
    protected final <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private Server serve(Duration grace, ConnectionHandler handler) throws IOException {
        Listener listener = Conduit.listen(endpoint());
        Server server = listener.serve(handler, grace,
                (endpoint, failure) -> failures.put(endpoint.toString(), failure));
        resources.add(server);
        return server;
    }

    private Connection connect(Server server) throws IOException {
        Connection client = Conduit.connect(server.endpoint().toString(), WAIT);
        resources.add(client);
        return client;
    }

    private static void echo(Connection connection) throws IOException {
        while (true) {
            byte[] message = connection.receive();
            if (new String(message, java.nio.charset.StandardCharsets.UTF_8).equals("boom")) {
                throw new IllegalStateException("handler failed on purpose");
            }
            connection.send(message);
        }
    }

    @Test
    void aFailingHandlerEndsOnlyItsOwnConnectionAndIsReported() throws Exception {
        Server server = serve(Duration.ZERO, ServeContract::echo);
        Connection failing = connect(server);
        Connection healthy = connect(server);
        healthy.send("before");
        assertEquals("before", healthy.receiveString(WAIT));

        failing.send("boom");
        assertThrows(ConnectionClosedException.class, () -> failing.receive(WAIT));
        Waits.until("the failure is reported", WAIT, () -> !failures.isEmpty());
        assertEquals(1, failures.size(), failures.toString());
        Throwable failure = failures.values().iterator().next();
        assertInstanceOf(IllegalStateException.class, failure, failures.toString());
        assertEquals("handler failed on purpose", failure.getMessage());

        healthy.send("after");
        assertEquals("after", healthy.receiveString(WAIT));
        assertEquals(1, server.activeConnections());
        assertTrue(server.isOpen());
    }

    @Test
    void closeLetsARunningHandlerFinishWithinTheGracePeriod() throws Exception {
        CountDownLatch received = new CountDownLatch(1);
        CountDownLatch mayFinish = new CountDownLatch(1);
        Server server = serve(Duration.ofSeconds(60), connection -> {
            byte[] request = connection.receive();
            received.countDown();
            mayFinish.await();
            connection.send("finished " + new String(request, java.nio.charset.StandardCharsets.UTF_8));
        });
        Connection client = connect(server);
        client.send("job");
        assertTrue(received.await(WAIT.toSeconds(), TimeUnit.SECONDS));

        Thread closer = Thread.ofVirtual().start(() -> {
            try {
                server.close();
            } catch (IOException e) {
                failures.put("close", e);
            }
        });
        Waits.until("close has begun", WAIT, () -> !server.isOpen());
        assertEquals(1, server.activeConnections(), "close must wait for the running handler");
        assertTrue(closer.isAlive());
        mayFinish.countDown();

        assertEquals("finished job", client.receiveString(WAIT));
        closer.join();
        assertEquals(0, server.activeConnections());
        assertEquals(Map.of(), failures);
        assertThrows(ConnectionClosedException.class, () -> client.receive(WAIT));
    }

    @Test
    void handlersThatIgnoreCloseAreCutOffAfterTheGracePeriod() throws Exception {
        CountDownLatch parked = new CountDownLatch(1);
        Server server = serve(Duration.ofMillis(200), connection -> {
            String first = connection.receiveString();
            if (first.equals("park")) {
                parked.countDown();
                new CountDownLatch(1).await(); // never touches the connection again: only an interrupt ends it
            }
            connection.send(first);
            echo(connection);
        });
        Connection parkedClient = connect(server);
        Connection echoClient = connect(server);
        parkedClient.send("park");
        echoClient.send("echo");
        assertEquals("echo", echoClient.receiveString(WAIT));
        assertTrue(parked.await(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(2, server.activeConnections());

        server.close();

        assertEquals(0, server.activeConnections());
        assertThrows(ConnectionClosedException.class, () -> echoClient.receive(WAIT));
        assertThrows(ConnectionClosedException.class, () -> parkedClient.receive(WAIT));
        assertEquals(Map.of(), failures, "connections the server cut off are not failures");
        server.awaitClosed();
        server.close(); // idempotent
    }

    @Test
    void aClientKilledWithSigkillEndsOnlyItsHandler() throws Exception {
        Assumptions.assumeTrue(crossesProcesses(), "this transport stays inside one JVM");
        Server server = serve(Duration.ZERO, ServeContract::echo);
        Process child = ChildJvm.start(TestPeers.class, "hold", server.endpoint().toString());
        children.add(child);
        Connection healthy = connect(server);
        Waits.until("the child and the client are served", Duration.ofSeconds(60),
                () -> server.activeConnections() == 2);

        ChildJvm.kill(child);

        Waits.until("the killed client's handler ends", WAIT, () -> server.activeConnections() == 1);
        healthy.send("still here");
        assertEquals("still here", healthy.receiveString(WAIT));
        assertTrue(server.isOpen());
        Connection another = connect(server);
        another.send("new");
        assertEquals("new", another.receiveString(WAIT));
    }

    @Test
    void closingTheServerClosesTheListener() throws Exception {
        Server server = serve(Duration.ZERO, ServeContract::echo);
        String endpoint = server.endpoint().toString();
        server.close();
        assertFalse(server.isOpen());
        assertThrows(IOException.class, () -> Conduit.connect(endpoint, Duration.ZERO));
    }

    @Test
    void aNegativeGraceIsRefusedNamingTheEndpoint() throws Exception {
        Listener listener = Conduit.listen(endpoint());
        resources.add(listener);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> listener.serve(ServeContract::echo, Duration.ofSeconds(-1), (endpoint, failure) -> { }));
        assertEquals(listener.endpoint().redacted() + ": serve: grace PT-1S (expected: >= 0)", e.getMessage());
    }
}
