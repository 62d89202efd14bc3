package dev.conduit;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests that write raw bytes at a stream-socket listener, as a foreign or hostile peer would. */
public abstract class StreamSocketContract extends ListenerContract {
    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    /** @return a plain blocking socket connected to the listener's endpoint */
    protected abstract SocketChannel rawConnect(Endpoint endpoint) throws Exception;

    private static void write(SocketChannel raw, byte... bytes) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            raw.write(b);
        }
    }

    @Test
    void oversizedHeaderClosesOnlyThatConnection() throws Exception {
        Listener listener = listen();
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            Connection victim = track(listener.accept(Duration.ofSeconds(10)));
            write(raw, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF0);
            FrameTooLongException e = assertThrows(FrameTooLongException.class, victim::receive);
            assertEquals(0xFFFFFFF0L, e.length());
            assertEquals(MAX_FRAME, e.maximum());
            assertEquals(listener.endpoint() + ": receive: frame length 4294967280 exceeds maxFrame " + MAX_FRAME,
                    e.getMessage());
            assertThrows(ConnectionClosedException.class, victim::receive);
            assertEquals(-1, raw.read(ByteBuffer.allocate(1)), "the refused connection was not closed");
        }
        Connection client = track(Conduit.connect(listener.endpoint(), Duration.ofSeconds(5)));
        Connection server = track(listener.accept(Duration.ofSeconds(10)));
        client.send("next client");
        assertEquals("next client", server.receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void tryReceiveKeepsAPartialFrameForTheNextCall() throws Exception {
        Listener listener = listen();
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            write(raw, (byte) 0, (byte) 0);
            assertNull(server.tryReceive());
            write(raw, (byte) 0, (byte) 3, (byte) 'a');
            assertNull(server.receive(Duration.ofMillis(30)));
            write(raw, (byte) 'b', (byte) 'c', (byte) 0, (byte) 0, (byte) 0, (byte) 0);
            assertArrayEquals("abc".getBytes(), server.receive(Duration.ofSeconds(10)));
            assertArrayEquals(new byte[0], server.receive(Duration.ofSeconds(10)));
            assertNull(server.tryReceive());
        }
    }

    @Test
    void peerClosingMidFrameIsReportedNotTruncated() throws Exception {
        Listener listener = listen();
        Connection server;
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            server = track(listener.accept(Duration.ofSeconds(10)));
            write(raw, (byte) 0, (byte) 0, (byte) 0, (byte) 1, (byte) 'z', (byte) 0, (byte) 0, (byte) 0, (byte) 9,
                    (byte) 'p');
        }
        assertArrayEquals(new byte[] {'z'}, server.receive(Duration.ofSeconds(10)));
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, server::receive);
        assertTrue(e.getMessage().contains("peer closed in the middle of a frame (5 bytes of it received)"),
                e.getMessage());
        assertThrows(ConnectionClosedException.class, server::tryReceive);
    }

    private Listener listen(String options) throws Exception {
        return track(Conduit.listen(endpoint() + "&" + options));
    }

    private static byte[] header(int length) {
        return ByteBuffer.allocate(4).putInt(length).array();
    }

    @Test
    void halfAFrameIsClosedByTheFrameTimeout() throws Exception {
        Listener listener = listen("frameTimeout=300ms");
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            write(raw, 0, 0, 0, 1, 'a', 0, 0, 0, 10, 'b', 'c');
            assertArrayEquals(new byte[] {'a'}, server.receive(Duration.ofSeconds(10)));
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, server::receive);
            assertTrue(e.getMessage().startsWith(listener.endpoint() + ": receive: closed by this side: a frame was still"
                    + " incomplete "), e.getMessage());
            assertTrue(e.getMessage().endsWith(" after its first byte (6 bytes of it received; frameTimeout=300 ms)"),
                    e.getMessage());
            assertEquals(-1, raw.read(ByteBuffer.allocate(1)), "the connection was not closed");
            assertThrows(ConnectionClosedException.class, server::tryReceive);
        }
    }

    @Test
    void aSilentPeerIsClosedByTheIdleTimeoutAndAWhisperingOneIsNot() throws Exception {
        Listener listener = listen("idleTimeout=400ms");
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            for (int i = 0; i < 6; i++) {
                write(raw, 0, 0, 0, 1, i);
                assertArrayEquals(new byte[] {(byte) i}, server.receive(Duration.ofSeconds(10)));
                Thread.sleep(100);
            }
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, server::receive);
            assertEquals(listener.endpoint() + ": receive: closed by this side: the peer sent nothing for 400 ms"
                    + " (idleTimeout=400 ms)", e.getMessage());
            assertEquals(-1, raw.read(ByteBuffer.allocate(1)), "the connection was not closed");
        }
    }

    @Test
    void theGreediestConnectionIsClosedPastTheReceiveBudget() throws Exception {
        Listener listener = listen("receiveBudget=600k");
        try (SocketChannel greedy = rawConnect(listener.endpoint());
             SocketChannel modest = rawConnect(listener.endpoint())) {
            Connection first = track(listener.accept(Duration.ofSeconds(10)));
            Connection second = track(listener.accept(Duration.ofSeconds(10)));
            CompletableFuture<byte[]> a = receiveAsync(first);
            CompletableFuture<byte[]> b = receiveAsync(second);
            // 500,000 bytes of a 900,000-byte frame hold a 512 KiB array; 100,000 of the other's 128 KiB:
            // together past the 600 KiB budget, whichever grows last.
            write(greedy, header(900_000));
            write(greedy, new byte[500_000]);
            write(modest, header(200_000));
            write(modest, new byte[100_000]);
            ExecutionException e = assertThrows(ExecutionException.class, () -> a.get(20, TimeUnit.SECONDS));
            assertInstanceOf(ConnectionClosedException.class, e.getCause());
            String message = e.getCause().getMessage();
            assertTrue(message.startsWith(listener.endpoint() + ": receive: closed by this side: the receive budget"
                    + " for partly received frames (614400 bytes, ?receiveBudget=) was exceeded ("), message);
            assertTrue(message.endsWith("bytes held), and this connection held the most (524320 bytes)"), message);
            write(modest, new byte[100_000]);
            assertEquals(200_000, b.get(20, TimeUnit.SECONDS).length);
        }
    }

    private static CompletableFuture<byte[]> receiveAsync(Connection connection) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(connection.receive());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private static void write(SocketChannel raw, int... bytes) throws Exception {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        write(raw, b);
    }

    @Test
    void framesAreBigEndianLengthThenPayload() throws Exception {
        Listener listener = listen();
        try (SocketChannel raw = rawConnect(listener.endpoint())) {
            Connection server = track(listener.accept(Duration.ofSeconds(10)));
            server.send("hi");
            server.send(new byte[300]);
            ByteBuffer got = ByteBuffer.allocate(6 + 4 + 300);
            while (got.hasRemaining()) {
                assertTrue(raw.read(got) >= 0);
            }
            assertArrayEquals(new byte[] {0, 0, 0, 2, 'h', 'i', 0, 0, 1, 44}, Arrays.copyOf(got.array(), 10));
        }
    }
}
