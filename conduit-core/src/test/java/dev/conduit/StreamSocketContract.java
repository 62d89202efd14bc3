package dev.conduit;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
