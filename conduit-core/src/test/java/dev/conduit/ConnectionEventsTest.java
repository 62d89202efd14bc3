package dev.conduit;

import dev.conduit.ConnectionEvent.Connected;
import dev.conduit.ConnectionEvent.Disconnected;
import dev.conduit.ConnectionEvent.FrameTooLong;
import dev.conduit.ConnectionEvent.HandshakeRefused;
import dev.conduit.ConnectionEvent.Reconnecting;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Tracked;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Connection#onEvent} and {@link Listener#onEvent}: what each tells, and when. */
@Timeout(60)
class ConnectionEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Tracked open = new Tracked();
    private TempDir dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = track(new TempDir());
    }

    @AfterEach
    void closeAll() throws Exception {
        open.closeAll();
    }

    private <T extends AutoCloseable> T track(T c) {
        return open.add(c);
    }

    private String unix(String name) {
        return "unix:" + dir.resolve(name + ".sock");
    }

    private static List<ConnectionEvent> events(Connection c) {
        List<ConnectionEvent> seen = new CopyOnWriteArrayList<>();
        c.onEvent(seen::add);
        return seen;
    }

    @Test
    void aLossIsToldOnceWithItsReasonAndACloseAfterItIsNot() throws Exception {
        Listener listener = track(Conduit.listen(unix("loss")));
        Connection client = track(Conduit.connect(listener.endpoint(), WAIT));
        List<ConnectionEvent> seen = events(client);
        listener.accept(WAIT).close();

        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> client.receive(WAIT));
        client.close();
        assertEquals(1, seen.size(), seen.toString());
        Disconnected d = assertInstanceOf(Disconnected.class, seen.getFirst());
        assertFalse(d.byThisSide());
        assertEquals(e, d.reason());
        assertEquals(client.endpoint(), d.endpoint());
    }

    @Test
    void aCloseByThisSideIsToldWithoutAReasonAndAnEndedSubscriptionHearsNothing() throws Exception {
        Listener listener = track(Conduit.listen(unix("close")));
        Connection client = Conduit.connect(listener.endpoint(), WAIT);
        track(listener.accept(WAIT));
        List<ConnectionEvent> seen = events(client);
        List<ConnectionEvent> ended = new CopyOnWriteArrayList<>();
        client.onEvent(ended::add).close();
        client.close();
        assertEquals(List.of(new Disconnected(client.endpoint(), true, null)), seen);
        assertEquals(List.of(), ended);
    }

    @Test
    void refusedFramesAreToldBothWays() throws Exception {
        Listener listener = track(Conduit.listen("mem:events-" + System.nanoTime() + "?maxFrame=10"));
        Connection client = track(Conduit.connect(listener.endpoint().toString().replace("maxFrame=10",
                "maxFrame=100")));
        Connection server = track(listener.accept(WAIT));
        List<ConnectionEvent> clientSeen = events(client);
        List<ConnectionEvent> serverSeen = events(server);

        assertThrows(FrameTooLongException.class, () -> client.send(new byte[101]));
        assertEquals(List.of(new FrameTooLong(client.endpoint(), false, 101, 100)), clientSeen);
        assertTrue(client.isOpen(), "a refused send ends nothing");

        client.send(new byte[11]);
        FrameTooLongException in = assertThrows(FrameTooLongException.class, () -> server.receive(WAIT));
        assertEquals(List.of(new FrameTooLong(server.endpoint(), true, 11, 10),
                new Disconnected(server.endpoint(), false, in)), serverSeen);
    }

    @Test
    void aListenerTellsEachAcceptAndEachFailedHandshake() throws Exception {
        Listener listener = track(Conduit.listen(unix("session") + "?protocol=conduit"));
        List<ConnectionEvent> seen = new CopyOnWriteArrayList<>();
        listener.onEvent(seen::add);

        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(listener.endpoint().address()))) {
            raw.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 4, 'n', 'o', 'p', 'e'}));
            Waits.until("the failed handshake is told", WAIT, () -> !seen.isEmpty());
        }
        HandshakeRefused refused = assertInstanceOf(HandshakeRefused.class, seen.getFirst());
        assertTrue(refused.reason().getMessage().contains("is not a session hello"), refused.reason().getMessage());

        Connection client = track(Conduit.connect(listener.endpoint(), WAIT));
        Connection server = track(listener.accept(WAIT));
        assertEquals(2, seen.size(), seen.toString());
        assertEquals(new Connected(listener.endpoint(), server.toString(), 0), seen.get(1));
        assertTrue(client.isOpen());
    }

    @Test
    void aReconnectingClientTellsItsLossItsWaitsARefusedHandshakeAndItsReturn() throws Exception {
        String at = unix("again");
        Listener sessions = Conduit.listen(at + "?protocol=conduit");
        Connection client = track(Conduit.connect(at + "?protocol=conduit&reconnect=true&reconnectDelay=10ms"
                + "&reconnectMaxDelay=50ms", WAIT));
        List<ConnectionEvent> seen = events(client);
        sessions.accept(WAIT).close();
        sessions.close();

        // A raw listener in its place answers the session's hello with garbage.
        Listener raw = Conduit.listen(at);
        Thread.ofVirtual().start(() -> refuseHandshakes(raw));
        Thread receiving = Thread.ofVirtual().start(() -> {
            try {
                client.receive(WAIT);
            } catch (IOException e) {
                // What the test looks at is the events.
            }
        });
        Waits.until("a refused handshake is told", WAIT,
                () -> seen.stream().anyMatch(HandshakeRefused.class::isInstance));
        raw.close();
        Listener back = track(Conduit.listen(at + "?protocol=conduit"));
        Connection server = track(back.accept(WAIT));
        server.send("back");
        receiving.join(WAIT);
        Waits.until("the return is told", WAIT, () -> seen.stream().anyMatch(Connected.class::isInstance));

        Disconnected lost = assertInstanceOf(Disconnected.class, seen.getFirst());
        assertFalse(lost.byThisSide());
        Reconnecting first = assertInstanceOf(Reconnecting.class, seen.get(1));
        assertEquals(1, first.attempt());
        assertTrue(first.delay().compareTo(Duration.ofMillis(50)) <= 0, first.delay().toString());
        assertEquals(lost.reason(), first.lastFailure());
        Connected connected = (Connected) seen.stream().filter(Connected.class::isInstance).findFirst().orElseThrow();
        assertEquals(1, connected.reconnects());
        assertNull(seen.stream().filter(Disconnected.class::isInstance).skip(1).findFirst().orElse(null),
                "one loss, told once: " + seen);
    }

    private static void refuseHandshakes(Listener raw) {
        try {
            while (true) {
                try (Connection c = raw.accept()) {
                    c.send("not a hello");
                }
            }
        } catch (IOException e) {
            // Closed by the test.
        }
    }
}
