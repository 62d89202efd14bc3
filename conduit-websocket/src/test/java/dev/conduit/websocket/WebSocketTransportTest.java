package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.Listener;
import dev.conduit.ListenerContract;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TestPeers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code ws://} against the whole contract, and what only WebSocket has: paths, tokens, origins, pings. */
class WebSocketTransportTest extends ListenerContract {
    @Override
    protected String endpoint() {
        return "ws://127.0.0.1:0/conduit?maxFrame=1m";
    }

    private Connection[] pairOn(String listen, String connectOptions) throws Exception {
        Listener listener = track(Conduit.listen(listen));
        String address = listener.endpoint().address();
        Connection client = track(Conduit.connect("ws://" + address + connectOptions, Duration.ofSeconds(5)));
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        assertNotNull(server, "accept timed out");
        return new Connection[] {client, server};
    }

    @Test
    void portZeroIsResolvedAndThePathKept() throws Exception {
        Listener listener = listen();
        String address = listener.endpoint().address();
        assertTrue(address.matches("127\\.0\\.0\\.1:[1-9][0-9]*/conduit"), address);
    }

    @Test
    void aWrongPathIsRefusedWith404() throws Exception {
        Listener listener = listen();
        String other = listener.endpoint().address().replace("/conduit", "/other");
        IOException e = assertThrows(IOException.class, () -> Conduit.connect("ws://" + other, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("refused the WebSocket handshake: HTTP 404"), e.getMessage());
    }

    @Test
    void aListenerWithATokenLetsInOnlyWhoPresentsIt() throws Exception {
        Listener listener = track(Conduit.listen("ws://127.0.0.1:0/t?token=s3cret"));
        String address = listener.endpoint().address();
        IOException none = assertThrows(IOException.class, () -> Conduit.connect("ws://" + address, Duration.ofSeconds(5)));
        assertTrue(none.getMessage().contains("HTTP 401 Unauthorized (the listener wants a token"), none.getMessage());
        IOException wrong = assertThrows(IOException.class,
                () -> Conduit.connect("ws://" + address + "?token=guess", Duration.ofSeconds(5)));
        assertTrue(wrong.getMessage().contains("HTTP 401"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("guess"), "the token is in the message: " + wrong.getMessage());
        Connection client = track(Conduit.connect("ws://" + address + "?token=s3cret", Duration.ofSeconds(5)));
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        assertNotNull(server);
        client.send("in");
        assertEquals("in", server.receiveString(Duration.ofSeconds(10)));
        assertEquals(null, listener.accept(Duration.ofMillis(100)), "a refused client reached accept");
    }

    @Test
    void textAndBinaryMessagesBothArriveWhole() throws Exception {
        Connection[] c = pair();
        c[0].send("héllo ✓");
        c[0].send(new byte[] {0, 1, 2});
        c[0].write("written");
        c[0].flush();
        assertEquals("héllo ✓", c[1].receiveString(Duration.ofSeconds(10)));
        assertArrayEquals(new byte[] {0, 1, 2}, c[1].receive(Duration.ofSeconds(10)));
        assertEquals("written", c[1].receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void theReceiverTellsTextFromBinaryPerMessage() throws Exception {
        Connection[] c = pair();
        assertFalse(c[1].lastReceivedWasText(), "nothing received yet");
        c[0].send("text");
        c[0].send(new byte[] {1});
        c[0].send("more text");
        c[1].receive(Duration.ofSeconds(10));
        assertTrue(c[1].lastReceivedWasText(), "a text frame");
        c[1].receive(Duration.ofSeconds(10));
        assertFalse(c[1].lastReceivedWasText(), "a binary frame");
        boolean[] seen = new boolean[1];
        assertEquals(1, c[1].poll(m -> seen[0] = c[1].lastReceivedWasText(), 1, Duration.ofSeconds(10)));
        assertTrue(seen[0], "a text frame, asked inside the handler");
    }

    @Test
    void aMessageAboveTheReceiversMaxFrameClosesWith1009() throws Exception {
        Connection[] c = pairOn("ws://127.0.0.1:0/big?maxFrame=1000", "?maxFrame=1m");
        c[0].send(new byte[1000]);
        assertEquals(1000, c[1].receive(Duration.ofSeconds(10)).length);
        c[0].send(new byte[1001]);
        FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> c[1].receive(Duration.ofSeconds(10)));
        assertEquals(1000, e.maximum());
        assertThrows(ConnectionClosedException.class, () -> c[0].receive(Duration.ofSeconds(10)));
    }

    @Test
    void compressedMessagesArriveAsSent() throws Exception {
        Connection[] c = pairOn("ws://127.0.0.1:0/z?compress=true", "?compress=true");
        byte[] big = message(5, 200_000);
        c[0].send(big);
        assertArrayEquals(big, c[1].receive(Duration.ofSeconds(10)));
        c[1].send("back");
        assertEquals("back", c[0].receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void aPeerThatStopsAnsweringIsLostWithinThePingTimeout() throws Exception {
        Listener listener = track(Conduit.listen("ws://127.0.0.1:0/p?ping=50ms&pingTimeout=300ms"));
        // A peer that does the handshake, then neither reads nor answers: a frozen process.
        try (SocketChannel silent = RawWebSocket.handshake(listener.endpoint(), "/p")) {
            assertTrue(silent.isConnected());
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            assertNotNull(server);
            long start = System.nanoTime();
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class,
                    () -> server.receive(Duration.ofSeconds(20)));
            long took = System.nanoTime() - start;
            assertTrue(e.getMessage().contains("(pingTimeout 300 ms)"), e.getMessage());
            assertTrue(took < TimeUnit.SECONDS.toNanos(10), "took " + took / 1_000_000 + " ms");
            assertThrows(ConnectionClosedException.class, () -> server.send("x"));
            assertSocketClosedUnder(silent);
        }
    }

    /**
     * The server's socket is closed, not only shut for output (as a channel still registered with
     * a selector is): the peer reads to the end of the stream, and what it sends then is refused
     * with a reset instead of piling up unread on the server.
     */
    private static void assertSocketClosedUnder(SocketChannel peer) throws IOException {
        peer.socket().setSoTimeout(10_000);
        InputStream in = peer.socket().getInputStream();
        byte[] sink = new byte[4096];
        while (in.read(sink) >= 0) {
            // The pings it never answered, then the end.
        }
        OutputStream out = peer.socket().getOutputStream();
        for (int i = 0; i < 100; i++) {
            try {
                out.write(new byte[1024]);
                out.flush();
            } catch (IOException e) {
                return; // Reset: the server's socket is gone.
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        fail("100 KiB sent after the server lost the peer were all taken: its socket was only half closed");
    }

    @Test
    void aConnectionNoOneReceivesOnStillAnswersPingsAndCloseFrames() throws Exception {
        Listener listener = listen();
        try (SocketChannel raw = RawWebSocket.handshake(listener.endpoint(), "/conduit")) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            assertNotNull(server);
            // Nobody calls receive on server: the keeper must read for it.
            raw.socket().setSoTimeout(10_000);
            RawWebSocket.sendMasked(raw, 0x9, "are you there".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals(new byte[] {(byte) 0x8A, 13}, RawWebSocket.read(raw, 2), "a pong, unmasked");
            assertEquals("are you there", new String(RawWebSocket.read(raw, 13), StandardCharsets.UTF_8));
            RawWebSocket.sendMasked(raw, 0x8, new byte[] {0x03, (byte) 0xE8});
            assertArrayEquals(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xE8}, RawWebSocket.read(raw, 4),
                    "the close frame answered with the same code");
            assertEquals(-1, raw.socket().getInputStream().read(), "then the server closes the socket");
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class,
                    () -> server.receive(Duration.ofSeconds(10)));
            assertTrue(e.getMessage().contains("close code 1000"), e.getMessage());
        }
    }

    @Test
    void aJvmUsingWebSocketsPrintsNoWarnings() throws Exception {
        // The JVM flags of a user's program: native access only, no --add-opens, no Unsafe flags.
        Listener listener = listen();
        Process child = ChildJvm.builder(TestPeers.class, "echo", clientEndpoint(listener))
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        try {
            Connection server = track(listener.accept(Duration.ofSeconds(30)));
            assertNotNull(server, "the child did not connect");
            server.send(message(1, 100_000));
            assertArrayEquals(message(1, 100_000), server.receive(Duration.ofSeconds(30)));
            server.close();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not end after the close");
            assertEquals("", new String(child.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(0, child.exitValue());
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void onlyAllowedOriginsGetIn() throws Exception {
        Listener listener = track(Conduit.listen("ws://127.0.0.1:0/o?origins=https://app.example,https://other.example"));
        IOException refused = assertThrows(IOException.class,
                () -> RawWebSocket.handshake(listener.endpoint(), "/o", "Origin: https://evil.example\r\n"));
        assertEquals("handshake refused: HTTP/1.1 403 Forbidden", refused.getMessage());
        try (SocketChannel allowed = RawWebSocket.handshake(listener.endpoint(), "/o", "Origin: https://other.example\r\n");
             SocketChannel program = RawWebSocket.handshake(listener.endpoint(), "/o")) {
            assertTrue(allowed.isConnected() && program.isConnected(), "a request without Origin is a program's");
            assertNotNull(track(listener.accept(Duration.ofSeconds(10))));
            assertNotNull(track(listener.accept(Duration.ofSeconds(10))));
        }
    }

    @Test
    void connectingWhereNobodyListensSaysSoAfterItsTimeOut() throws Exception {
        int port;
        try (Listener gone = Conduit.listen("ws://127.0.0.1:0/x")) {
            String a = gone.endpoint().address();
            port = Integer.parseInt(a.substring(a.indexOf(':') + 1, a.indexOf('/')));
        }
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> Conduit.connect("ws://127.0.0.1:" + port + "/x", Duration.ofMillis(300)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "gave up early");
        assertEquals("ws://127.0.0.1:" + port + "/x: connect: no listener at 127.0.0.1:" + port
                + " after waiting 300 ms", e.getMessage());
    }
}
