package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.testing.TempDir;
import dev.conduit.websocket.LoadServerProcess.Stats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;

import static dev.conduit.websocket.LoadServerProcess.Stats.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a {@code ws://} listener's peers may cost it (docs/websocket.md, Hostile peers): a message
 * trickled too slowly ({@code ?frameTimeout=}), a peer that sends nothing ({@code ?idleTimeout=}),
 * and many peers each holding most of a large message (the receive budget), the last against a
 * server in a child JVM with a small heap.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WebSocketReceiveLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Attackers of the budget, each sending {@link #SENT} of a 16 MiB message: 320 MiB, more than the heap. */
    private static final int ATTACKERS = 40;
    private static final int SENT = 8 << 20;
    /** How many of them a 64 MiB budget holds: fewer than 8, as each read gathered costs a little more. */
    private static final int FIT = 8;
    /** What the attacked server's heap may hold after collection: its budget is 64 MiB, its base about 10; 121 MiB seen. */
    private static final long ATTACKED_HEAP_BYTES = 160L << 20;

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    @RegisterExtension
    final LogCapture log = new LogCapture();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void aMessageTrickledTooSlowlyIsClosedByTheFrameTimeoutAndWholeMessagesAreNot() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/slow?frameTimeout=1s");
             SocketChannel trickler = RawWebSocket.handshake(listener.endpoint(), "/slow");
             Connection served = listener.accept(WAIT);
             Connection whisperer = Conduit.connect(client(listener), WAIT);
             Connection whispered = listener.accept(WAIT)) {
            trickler.socket().setSoTimeout((int) WAIT.toMillis());
            String peer = trickler.getLocalAddress().toString();
            CompletableFuture<Throwable> receive = CompletableFuture.supplyAsync(() -> receiveFails(served), threads);
            RawWebSocket.sendHeader(trickler, true, 100);
            CompletableFuture<Integer> sent = CompletableFuture.supplyAsync(() -> trickle(trickler, 100, 300), threads);
            // Whole messages 300 ms apart, until the trickler is cut off and at least past the frame
            // time-out: none of them is incomplete for a second.
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int i = 0; i < 5 || !sent.isDone(); i++) {
                assertTrue(System.nanoTime() - deadline < 0, "the trickler still sending after " + WAIT);
                whisperer.send("whisper " + i);
                assertEquals("whisper " + i, new String(whispered.receive(WAIT), StandardCharsets.UTF_8));
                pace(300);
            }
            assertEquals(1008, RawWebSocket.readCloseCode(trickler), "policy violation");
            assertTrue(sent.get() < 100, "the trickler was cut off before it finished: sent " + sent.get());
            Throwable e = receive.get();
            assertTrue(e instanceof ConnectionClosedException && e.getMessage().contains("frameTimeout=1 s"),
                    "the receiver: " + e);
            log.assertHas(Level.WARNING, peer, "still incomplete");
            whisperer.send("still open");
            assertEquals("still open", new String(whispered.receive(WAIT), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aSilentPeerIsClosedByTheIdleTimeoutAndATalkingOneIsNot() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/idle?idleTimeout=1s");
             SocketChannel silent = RawWebSocket.handshake(listener.endpoint(), "/idle");
             Connection unread = listener.accept(WAIT);
             Connection talker = Conduit.connect(client(listener), WAIT);
             Connection talked = listener.accept(WAIT)) {
            silent.socket().setSoTimeout((int) WAIT.toMillis());
            String peer = silent.getLocalAddress().toString();
            // Nobody receives on the silent peer's connection: the keeper's clock closes it anyway.
            // The talker goes on, a message every 300 ms, until the silent peer's close frame is there
            // and at least past the idle time-out.
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int i = 0; i < 5 || silent.socket().getInputStream().available() == 0; i++) {
                assertTrue(System.nanoTime() - deadline < 0, "the silent peer still open after " + WAIT);
                talker.send("talk " + i);
                assertEquals("talk " + i, new String(talked.receive(WAIT), StandardCharsets.UTF_8));
                pace(300);
            }
            assertEquals(1001, RawWebSocket.readCloseCode(silent), "going away");
            var e = assertThrows(ConnectionClosedException.class, () -> unread.receive(WAIT));
            assertTrue(e.getMessage().contains("idleTimeout=1 s"), e.getMessage());
            log.assertHas(Level.INFO, peer, "sent no message");
        }
    }

    @Test
    void manyPeersHoldingMostOfALargeMessageStayWithinTheBudget() throws Exception {
        ExecutorService attackers = Executors.newVirtualThreadPerTaskExecutor();
        CountDownLatch release = new CountDownLatch(1);
        try (TempDir dir = new TempDir();
             LoadServerProcess server = new LoadServerProcess("ws://127.0.0.1:0/big", "echo", List.of("-Xmx256m"),
                     dir.resolve("server.err"));
             Connection good = Conduit.connect(client(server), WAIT)) {
            echo(good, "before");
            server.watch();
            List<Future<String>> attacks = new ArrayList<>();
            for (int i = 0; i < ATTACKERS; i++) {
                attacks.add(attackers.submit(() -> holdMostOfAMessage(Endpoint.parse(server.endpoint()), release)));
            }
            int during = 0;
            // Until as many are cut off as the budget must cut (or 20 s, before the 30 s frame time-out).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (attacks.stream().filter(Future::isDone).count() < ATTACKERS - FIT && System.nanoTime() < deadline) {
                echo(good, "during " + during++);
            }
            release.countDown();
            attackers.shutdownNow();
            List<String> ends = new ArrayList<>();
            for (Future<String> a : attacks) {
                ends.add(a.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            long cut = ends.stream().filter(s -> s.startsWith("cut off")).count();
            echo(good, "after");
            try (Connection late = Conduit.connect(client(server), WAIT)) {
                echo(late, "a new client after the attack");
            }
            Stats stats = server.stats();
            System.out.println("ws receive budget: " + ATTACKERS + " peers each sent up to " + mib(SENT) + " of a 16"
                    + " MiB message; " + cut + " cut off; " + during + " echoes during it; server heap after collection"
                    + " at most " + mib(stats.get("watchedHeap")) + " (of " + mib(stats.get("heapMax")) + "), now "
                    + mib(stats.get("heapUsed")));
            assertTrue(cut >= ATTACKERS - FIT, "at most " + FIT + " fit a 64 MiB budget: " + ends);
            assertTrue(stats.get("watchedHeap") < ATTACKED_HEAP_BYTES, "server heap " + mib(stats.get("watchedHeap")));
            assertEquals(0, stats.get("failures"), stats.text("firstFailure"));
            String serverLog = Files.readString(dir.resolve("server.err"));
            assertTrue(serverLog.contains("receive budget of"), "the server's log: " + serverLog);
        } finally {
            release.countDown();
            attackers.shutdownNow();
        }
    }

    /**
     * Announces a 16 MiB message and sends {@link #SENT} of it, then waits for the server to
     * close the connection, or for {@code release}.
     *
     * @return {@code cut off after N MiB}, or {@code held N MiB} if released first
     */
    private static String holdMostOfAMessage(Endpoint endpoint, CountDownLatch release) throws IOException {
        long sent = 0;
        try (SocketChannel socket = RawWebSocket.handshake(endpoint, "/big")) {
            RawWebSocket.sendHeader(socket, true, 16 << 20);
            ByteBuffer zeros = ByteBuffer.allocate(256 * 1024);
            while (sent < SENT) {
                sent += socket.write(zeros.clear().limit((int) Math.min(zeros.capacity(), SENT - sent)));
            }
            // Its close frame, then the end of the stream; or an interrupt, when released.
            while (socket.read(zeros.clear()) >= 0) {
                continue;
            }
            return "cut off after " + mib(sent);
        } catch (IOException e) {
            return (release.getCount() == 0 ? "held " : "cut off after ") + mib(sent) + " (" + e + ")";
        }
    }

    /** @return the listener's endpoint without its options, which are the listener's */
    private static String client(Listener listener) {
        return "ws://" + listener.endpoint().address();
    }

    private static String client(LoadServerProcess server) {
        return "ws://" + Endpoint.parse(server.endpoint()).address();
    }

    private static void echo(Connection c, String text) throws IOException {
        c.send(text);
        byte[] back = c.receive(WAIT);
        assertNotNull(back, "no echo of '" + text + "' within " + WAIT);
        assertEquals(text, new String(back, StandardCharsets.UTF_8));
    }

    /** @return what ended a receive on {@code c}; null if it got a message or nothing within {@link #WAIT} */
    private static Throwable receiveFails(Connection c) {
        try {
            c.receive(WAIT);
            return null;
        } catch (IOException | RuntimeException e) {
            return e;
        }
    }

    /** @return the payload bytes sent, one every {@code paceMillis}, until {@code length} or the socket fails */
    private static int trickle(SocketChannel socket, int length, long paceMillis) {
        int sent = 0;
        try {
            for (; sent < length; sent++) {
                pace(paceMillis);
                socket.write(ByteBuffer.wrap(new byte[] {'x'}));
            }
        } catch (IOException e) {
            // Closed by the server: the point.
        }
        return sent;
    }

    /** A slow peer's pace between its writes: what the test is about, not a wait for a state. */
    private static void pace(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }


}
