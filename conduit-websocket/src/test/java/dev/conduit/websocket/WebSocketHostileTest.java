package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import dev.conduit.websocket.LoadServerProcess.Stats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static dev.conduit.websocket.LoadServerProcess.Stats.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers that break the protocol on purpose: a ping flood that never reads its pongs (against a
 * server in a child JVM with a small heap), a frame the protocol forbids, a request that is not
 * HTTP at all, and a client that connects and says nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WebSocketHostileTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The listener's handshake time-out (websocket.md, Time-outs). */
    private static final int HANDSHAKE_MILLIS = 10_000;
    /** What the flooding server's heap may hold after collection: its base is about 10 MiB. */
    private static final long FLOODED_HEAP_BYTES = 64L << 20;

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @Test
    void aPingFloodThatReadsNoPongsIsDisconnectedAndTheHeapStaysBounded() throws Exception {
        try (TempDir dir = new TempDir();
             LoadServerProcess server = new LoadServerProcess("ws://127.0.0.1:0/flood", "echo",
                     List.of("-Xmx256m"), dir.resolve("server.err"));
             Connection good = Conduit.connect(server.endpoint(), WAIT)) {
            echo(good, "before");
            server.watch();
            CompletableFuture<String> flood = CompletableFuture.supplyAsync(
                    () -> floodWithPings(Endpoint.parse(server.endpoint())));
            int during = 0;
            while (!flood.isDone()) {
                echo(good, "during " + during++);
            }
            String end = flood.get();
            assertTrue(end.startsWith("disconnected"), "the flooder: " + end);
            echo(good, "after");
            try (Connection late = Conduit.connect(server.endpoint(), WAIT)) {
                echo(late, "a new client after the flood");
            }
            Stats stats = server.stats();
            System.out.println("ws ping flood: flooder " + end + "; " + during + " echoes during it; server heap after"
                    + " collection at most " + mib(stats.get("watchedHeap")) + " (of " + mib(stats.get("heapMax"))
                    + "), now " + mib(stats.get("heapUsed")));
            assertTrue(stats.get("watchedHeap") < FLOODED_HEAP_BYTES, "server heap " + mib(stats.get("watchedHeap")));
            assertEquals(0, stats.get("failures"), stats.text("firstFailure"));
            String serverLog = Files.readString(dir.resolve("server.err"));
            assertTrue(serverLog.contains("reads none of the answers"), "the server's log: " + serverLog);
        }
    }

    private static void echo(Connection c, String text) throws IOException {
        c.send(text);
        assertEquals(text, new String(c.receive(WAIT), StandardCharsets.UTF_8));
    }

    /**
     * Sends pings with the largest payload a control frame may have, never reading, until the
     * server disconnects or 30 s pass.
     *
     * @return {@code disconnected after N MiB} or {@code still connected after N MiB}
     */
    private static String floodWithPings(Endpoint endpoint) {
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        ByteBuffer pings = ByteBuffer.allocate(512 * 131);
        while (pings.hasRemaining()) {
            pings.put((byte) 0x89).put((byte) (0x80 | 125)).put(mask).put(new byte[125]);
        }
        long sent = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (SocketChannel socket = RawWebSocket.handshake(endpoint, "/flood");
             Selector writable = Selector.open()) {
            socket.configureBlocking(false);
            socket.register(writable, SelectionKey.OP_WRITE);
            while (System.nanoTime() - deadline < 0) {
                int n = socket.write(pings.clear().position((int) (sent % pings.capacity())));
                sent += n;
                if (n == 0) {
                    writable.select(10); // until the server takes more, or its reset ends the write
                    writable.selectedKeys().clear();
                }
            }
            return "still connected after " + mib(sent);
        } catch (IOException e) {
            return "disconnected after " + mib(sent) + " (" + e.getMessage() + ")";
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reserved opcode", "unmasked frame", "text that is not UTF-8"})
    void aProtocolErrorGetsExactlyOneCloseFrameAndIsLogged(String error) throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/bad");
             SocketChannel raw = RawWebSocket.handshake(listener.endpoint(), "/bad")) {
            raw.socket().setSoTimeout((int) WAIT.toMillis());
            String peer = raw.getLocalAddress().toString();
            int code = 1002;
            switch (error) {
                case "reserved opcode" -> RawWebSocket.sendMasked(raw, 0x3, new byte[] {1, 2, 3});
                case "unmasked frame" -> raw.write(ByteBuffer.wrap(new byte[] {(byte) 0x82, 1, 0}));
                default -> {
                    RawWebSocket.sendMasked(raw, 0x1, new byte[] {(byte) 0xC3, 0x28});
                    code = 1007;
                }
            }
            byte[] all = raw.socket().getInputStream().readAllBytes();
            assertTrue(all.length >= 4, "read " + all.length + " bytes");
            assertEquals((byte) 0x88, all[0], "a close frame");
            int length = all[1];
            assertEquals(2 + length, all.length, "one close frame and nothing after it: " + hex(all));
            assertEquals(code, (all[2] & 0xFF) << 8 | all[3] & 0xFF, "the close code");
            log.assertHas(Level.INFO, "protocol error", peer);
        }
    }

    @Test
    void aRequestThatIsNotHttpGets400() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/x")) {
            try (SocketChannel raw = plainSocketTo(listener.endpoint())) {
                raw.socket().setSoTimeout((int) WAIT.toMillis());
                raw.write(ByteBuffer.wrap("SSH-2.0-OpenSSH_9.2\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                String response = new String(raw.socket().getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request"), response);
            }
            log.assertHas(Level.INFO, "400");
        }
    }

    @Test
    void aClientSilentThroughItsUpgradeIsClosedAndLogged() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/quiet")) {
            try (SocketChannel silent = plainSocketTo(listener.endpoint())) {
                // Twice the listener's handshake time-out: a socket still open then was never closed.
                silent.socket().setSoTimeout(2 * HANDSHAKE_MILLIS);
                assertEquals(-1, silent.socket().getInputStream().read(), "closed, no bytes");
                String peer = silent.getLocalAddress().toString();
                Waits.until("a log line naming " + peer, WAIT, () -> log.has(Level.INFO, peer, "did not finish in time"));
            }
        }
    }


    private static String hex(byte[] bytes) {
        return java.util.HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** @return a TCP connection to a {@code ws://} endpoint's host and port that says nothing yet */
    private static SocketChannel plainSocketTo(Endpoint endpoint) throws IOException {
        String hostPort = endpoint.address().substring(0, endpoint.address().indexOf('/'));
        int colon = hostPort.lastIndexOf(':');
        return SocketChannel.open(new InetSocketAddress(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1))));
    }
}
