package dev.conduit;

import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Connection#counters()} and {@link Listener#counters()} across the two-way transports. */
@Timeout(60)
final class CountersTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private TempDir dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void makeDir() throws Exception {
        dir = new TempDir();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        dir.close();
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private String endpoint(String kind) {
        return switch (kind) {
            case "unix" -> "unix:" + dir.resolve("a.sock");
            case "session" -> "unix:" + dir.resolve("s.sock") + "?protocol=conduit";
            case "tcp" -> "tcp://127.0.0.1:0";
            case "shm" -> "shm:cdt-counters-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            case "mem" -> "mem:counters-" + System.nanoTime();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private Connection[] pair(Listener listener, String clientOptions) throws Exception {
        Endpoint at = listener.endpoint();
        String client = at + (clientOptions.isEmpty() ? "" : (at.options().isEmpty() ? "?" : "&") + clientOptions);
        Connection c = track(Conduit.connect(client));
        Connection s = track(listener.accept(WAIT));
        assertNotNull(s, "nothing accepted on " + at);
        return new Connection[] {c, s};
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "shm", "mem", "session"})
    void countsMessagesAndBytesEachWayAndAccepts(String kind) throws Exception {
        Listener listener = track(Conduit.listen(endpoint(kind)));
        Connection[] ends = pair(listener, "");
        Connection client = ends[0];
        Connection server = ends[1];
        assertEquals(ConnectionCounters.ZERO, client.counters());
        client.send(new byte[10]);
        client.write(ByteBuffer.allocateDirect(20));
        client.flush();
        assertTrue(client.trySend(new byte[30]));
        assertEquals(10, server.receive(WAIT).length);
        int[] polled = new int[1];
        assertEquals(1, server.poll(view -> polled[0] += view.remaining(), 1, WAIT));
        assertEquals(20, polled[0]);
        assertEquals(30, server.receive(WAIT).length);
        server.send("pong");
        assertEquals("pong", client.receiveString(WAIT));

        assertEquals(new ConnectionCounters(3, 60, 1, 4, client.counters().sendBlockedNanos(), 0, 0),
                client.counters(), kind);
        assertEquals(new ConnectionCounters(1, 4, 3, 60, server.counters().sendBlockedNanos(), 0, 0),
                server.counters(), kind);
        assertEquals(1, listener.counters().accepted(), kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "shm"})
    void countsFramesRefusedEachWay(String kind) throws Exception {
        Listener listener = track(Conduit.listen(endpoint(kind) + "?maxFrame=100"));
        Connection[] ends = pair(listener, "");
        FrameTooLongException out = assertThrows(FrameTooLongException.class, () -> ends[1].send(new byte[101]));
        assertEquals(101, out.length());
        assertEquals(1, ends[1].counters().framesRefused());
        assertEquals(0, ends[1].counters().messagesOut());
        if (kind.equals("unix")) {
            String larger = listener.endpoint().toString().replace("maxFrame=100", "maxFrame=1000");
            Connection big = track(Conduit.connect(larger));
            Connection server = track(listener.accept(WAIT));
            big.send(new byte[500]);
            assertThrows(FrameTooLongException.class, () -> server.receive(WAIT));
            assertEquals(1, server.counters().framesRefused());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "shm"})
    void countsTimeBlockedInSend(String kind) throws Exception {
        Listener listener = track(Conduit.listen(endpoint(kind)));
        Connection[] ends = pair(listener, "");
        byte[] chunk = new byte[4096];
        int sent = 0;
        while (ends[0].trySend(chunk)) {
            sent++;
            assertTrue(sent < 1_000_000, "never full");
        }
        assertEquals(0, ends[0].counters().sendBlockedNanos());
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                ends[0].send(chunk);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Waits.until("the sender waits for room", WAIT, () -> Waits.isIn(sender, "SocketConnection", "awaitWritable")
                || Waits.isIn(sender, "ShmConnection", "awaitRoom"));
        int all = sent + 1;
        CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < all; i++) {
                    assertNotNull(ends[1].receive(WAIT));
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        sender.join(WAIT);
        drained.get(30, TimeUnit.SECONDS);
        assertTrue(ends[0].counters().sendBlockedNanos() > 0, ends[0].counters().toString());
        assertEquals(sent + 1, ends[0].counters().messagesOut());
        assertEquals(sent + 1, ends[1].counters().messagesIn());
    }

    @Test
    void countsHandshakeFailuresAndRefusedPeers() throws Exception {
        Listener keyed = track(Conduit.listen("unix:" + dir.resolve("k.sock") + "?authkey=right"));
        assertThrows(AuthenticationException.class,
                () -> Conduit.connect("unix:" + dir.resolve("k.sock") + "?authkey=wrong"));
        Waits.until("the failed handshake is counted", WAIT, () -> keyed.counters().handshakeFailures() == 1);
        assertEquals(new ListenerCounters(0, 0, 1), keyed.counters());

        Listener picky = track(Conduit.listen("unix:" + dir.resolve("p.sock") + "?allowUsers=65534"));
        Connection refused = track(Conduit.connect("unix:" + dir.resolve("p.sock")));
        assertEquals(null, picky.accept(Duration.ofMillis(300)));
        assertEquals(new ListenerCounters(0, 1, 0), picky.counters());
        assertThrows(ConnectionClosedException.class, () -> refused.receive(WAIT));
    }

    @Test
    void countsReconnects() throws Exception {
        Listener listener = track(Conduit.listen(endpoint("unix")));
        Connection client = track(Conduit.connect(listener.endpoint() + "?reconnect=true&reconnectDelay=10ms"));
        assertEquals(0, client.counters().reconnects());
        // A call finds the loss: a receive waits through it for a message on the next connection.
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try {
                return client.receive(WAIT);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        listener.accept(WAIT).close();
        Connection again = track(listener.accept(WAIT));
        assertNotNull(again, "the client did not dial again");
        again.send("after");
        assertEquals(5, received.get(30, TimeUnit.SECONDS).length);
        assertEquals(1, client.counters().reconnects());
        assertEquals(1, client.counters().messagesIn());
    }
}
