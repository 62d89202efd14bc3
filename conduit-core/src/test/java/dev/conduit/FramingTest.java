package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code ?framing=} between Conduit ends and against a plain socket: the rules docs/framing.md
 * states (the last line without a newline, a newline in a sent line, a line above maxFrame, an
 * empty raw send) and the refusals where a framing makes no sense.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FramingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static String text(byte[] message) {
        return new String(message, StandardCharsets.UTF_8);
    }

    @Test
    void linesBetweenConduitEndsOnUnixAndTcp() throws Exception {
        try (TempDir dir = new TempDir()) {
            for (String endpoint : new String[] {"unix:" + dir.resolve("a.sock") + "?framing=lines",
                    "tcp://127.0.0.1:0?framing=lines"}) {
                try (Listener listener = Conduit.listen(endpoint);
                     Connection client = Conduit.connect(listener.endpoint(), WAIT);
                     Connection server = listener.accept()) {
                    client.send("one");
                    client.send("");
                    client.send(new byte[70_000]);
                    client.send(ByteBuffer.allocateDirect(3).put(0, (byte) 'x'));
                    assertEquals("one", text(server.receive(WAIT)));
                    assertEquals("", text(server.receive(WAIT)));
                    assertArrayEquals(new byte[70_000], server.receive(WAIT));
                    assertArrayEquals(new byte[] {'x', 0, 0}, server.receive(WAIT));
                    server.send("back");
                    assertEquals("back", text(client.receive(WAIT)));
                }
            }
        }
    }

    @Test
    void aSentLineHoldingANewlineIsRefusedAndNothingIsSent() throws Exception {
        try (TempDir dir = new TempDir()) {
            String endpoint = "unix:" + dir.resolve("n.sock") + "?framing=lines";
            try (Listener listener = Conduit.listen(endpoint);
                 Connection client = Conduit.connect(endpoint, WAIT);
                 Connection server = listener.accept()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> client.send("two\nlines"));
                assertEquals(endpoint + ": send: the message holds a newline at byte 3 of 9; with framing=lines a"
                        + " newline ends a message, so send each line on its own (or use framing=frames or raw for"
                        + " any bytes)", e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> client.trySend(new byte[] {'\n'}));
                client.send("after");
                assertEquals("after", text(server.receive(WAIT)));
            }
        }
    }

    @Test
    void aLastLineWithoutNewlineIsDeliveredThenTheConnectionIsClosed() throws Exception {
        try (TempDir dir = new TempDir()) {
            Path path = dir.resolve("e.sock");
            try (Listener listener = Conduit.listen("unix:" + path + "?framing=lines");
                 SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                raw.connect(UnixDomainSocketAddress.of(path));
                try (Connection server = listener.accept()) {
                    raw.write(ByteBuffer.wrap("a\r\nlast".getBytes(StandardCharsets.UTF_8)));
                    raw.shutdownOutput();
                    assertEquals("a", text(server.receive(WAIT)));
                    assertEquals("last", text(server.receive(WAIT)));
                    ConnectionClosedException e = assertThrows(ConnectionClosedException.class,
                            () -> server.receive(WAIT));
                    assertEquals("unix:" + path + "?framing=lines: receive: connection closed by peer",
                            e.getMessage());
                }
            }
        }
    }

    @Test
    void aLineAboveMaxFrameClosesTheConnection() throws Exception {
        try (TempDir dir = new TempDir()) {
            Path path = dir.resolve("l.sock");
            try (Listener listener = Conduit.listen("unix:" + path + "?framing=lines&maxFrame=100");
                 SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                raw.connect(UnixDomainSocketAddress.of(path));
                try (Connection server = listener.accept()) {
                    raw.write(ByteBuffer.wrap(new byte[101]));
                    raw.write(ByteBuffer.wrap(new byte[] {'\n'}));
                    FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> server.receive(WAIT));
                    assertEquals(100, e.maximum());
                    assertEquals(false, server.isOpen());
                }
            }
        }
    }

    @Test
    void rawHandsOverBytesAsTheyComeAndAnEmptySendWritesNothing() throws Exception {
        try (TempDir dir = new TempDir()) {
            String endpoint = "unix:" + dir.resolve("r.sock") + "?framing=raw";
            try (Listener listener = Conduit.listen(endpoint + "&maxFrame=4");
                 Connection client = Conduit.connect(endpoint, WAIT);
                 Connection server = listener.accept()) {
                client.send(new byte[0]);
                client.send(new byte[] {1, 2, 3});
                assertArrayEquals(new byte[] {1, 2, 3}, server.receive(WAIT));
                assertEquals(null, server.receive(Duration.ofMillis(50)), "the empty send wrote nothing");
                client.send(new byte[] {9, 8, 7, 6, 5, 4});
                java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                while (got.size() < 6) {
                    byte[] piece = server.receive(WAIT);
                    assertEquals(true, piece.length <= 4, "maxFrame bounds a raw message");
                    got.writeBytes(piece);
                }
                assertArrayEquals(new byte[] {9, 8, 7, 6, 5, 4}, got.toByteArray());
            }
        }
    }

    @Test
    void linesAndRawThroughAFifo() throws Exception {
        try (TempDir dir = new TempDir()) {
            for (String framing : new String[] {"lines", "raw"}) {
                String endpoint = "fifo:" + dir.resolve(framing) + "?framing=" + framing;
                try (MessageReceiver receiver = Conduit.openReceiver(endpoint)) {
                    try (MessageSender sender = Conduit.openSender(endpoint)) {
                        sender.send("abc");
                        sender.send(new byte[5000]);
                    }
                    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                    int messages = 0;
                    try {
                        while (true) {
                            got.writeBytes(receiver.receive(WAIT));
                            messages++;
                        }
                    } catch (ConnectionClosedException e) {
                        // The sender closed.
                    }
                    assertEquals(5003, got.size());
                    if (framing.equals("lines")) {
                        assertEquals(2, messages);
                    }
                }
            }
        }
    }

    @Test
    void spawnWithLinesTalksToCat() throws Exception {
        try (ProcessConnection cat = Conduit.spawn(new ProcessBuilder("cat"), "stdio?framing=lines")) {
            cat.send("meow");
            cat.send("purr");
            assertEquals("meow", text(cat.receive(WAIT)));
            assertEquals("purr", text(cat.receive(WAIT)));
        }
    }

    @Test
    void spawnWithRawIsAByteStreamBothWays() throws Exception {
        try (ProcessConnection cat = Conduit.spawn(new ProcessBuilder("cat"), "stdio?framing=raw")) {
            cat.send("ab\n");
            cat.send(new byte[] {0, 0, 0, 9}); // Under frames, a header; here four bytes like any other.
            cat.send("cd");
            ByteArrayOutputStream echoed = new ByteArrayOutputStream();
            while (echoed.size() < 9) {
                byte[] piece = cat.receive(WAIT);
                assertNotNull(piece, "cat's bytes within " + WAIT + "; so far " + echoed.size());
                echoed.write(piece);
            }
            assertArrayEquals(new byte[] {'a', 'b', '\n', 0, 0, 0, 9, 'c', 'd'}, echoed.toByteArray());
        }
    }

    @Test
    void transportsThatCarryWholeMessagesRefuseAFraming() {
        for (String endpoint : new String[] {"shm:fr?framing=lines", "mem:fr?framing=lines", "mq:/fr?framing=raw",
                "log:/tmp/fr?framing=lines"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> (endpoint.startsWith("mq") || endpoint.startsWith("log")
                            ? Conduit.openReceiver(endpoint) : Conduit.listen(endpoint)).close());
            String scheme = endpoint.substring(0, endpoint.indexOf(':'));
            assertEquals("endpoint '" + endpoint + "': framing is for byte streams (unix:, pipe:, tcp://, fifo:,"
                    + " stdio and spawn); " + scheme + " carries whole messages, so it takes no framing option",
                    e.getMessage());
        }
    }

    @Test
    void theSessionProtocolNeedsFrames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("unix:/tmp/never.sock?protocol=conduit&framing=lines").close());
        assertEquals("endpoint 'unix:/tmp/never.sock?protocol=conduit&framing=lines': protocol=conduit needs"
                + " framing=frames (its tagged messages are frames); framing=lines is for peers that read lines or"
                + " bytes", e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("tcp://127.0.0.1:1?framing=json"));
        assertEquals("endpoint 'tcp://127.0.0.1:1?framing=json': framing=json (expected frames, lines or raw)",
                bad.getMessage());
    }
}
