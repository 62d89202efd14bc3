package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.conduit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code connect} on one-way endpoints (standard input piped in line by line, as {@code tail -f}
 * would), how {@code connect} and {@code listen} say that the peer ended first (exit 4), and a
 * raw client that reaches a {@code ?protocol=conduit} listener.
 */
@Timeout(60)
final class ConnectEndsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Pipes lines into {@code conduit connect ENDPOINT} one by one; each must arrive before the next is written. */
    private void pipeLinesInto(String endpoint, MessageReceiver receiver) throws Exception {
        CliProcess connect = closeLater(CliProcess.startPiped(List.of(), "connect", endpoint));
        for (String line : List.of("first line", "second \\\\ line", "")) {
            connect.writeLine(line);
            assertEquals(line.replace("\\\\", "\\"), receiver.receiveString(WAIT), "sent as it came, before the end");
        }
        connect.stdin().close();
        assertEquals(0, connect.awaitExit(WAIT), () -> "stderr: " + connect.stderr());
        assertEquals(List.of(), connect.stderr());
        assertEquals(List.of(), connect.stdout());
    }

    @Test
    void tailIntoALogSendsEachLineAsItComes() throws Exception {
        String log = "log:" + dir.resolve("events");
        assertEquals(0, run("", "send", log, "made").code(), "the log exists");
        MessageReceiver receiver = closeLater(Conduit.openReceiver(log + "?from=end"));
        pipeLinesInto(log, receiver);
    }

    @Test
    void connectSendsLinesToAFifo() throws Exception {
        String fifo = "fifo:" + dir.resolve("in");
        MessageReceiver receiver = closeLater(Conduit.openReceiver(fifo));
        pipeLinesInto(fifo, receiver);
    }

    @Test
    void connectSendsLinesToAZipcQueue() throws Exception {
        String name = "/zce" + ProcessHandle.current().pid();
        try {
            MessageReceiver receiver = closeLater(Conduit.openReceiver("zipc:" + name));
            pipeLinesInto("zipc:" + name, receiver);
        } finally {
            Files.deleteIfExists(Path.of("/dev/shm" + name));
        }
    }

    @Test
    void connectSendsLinesToAMessageQueue() throws Exception {
        String mq = "mq:0x" + Integer.toHexString(0x4E000000 | (int) (ProcessHandle.current().pid() & 0xFFFFFF));
        MessageReceiver receiver = closeLater(Conduit.openReceiver(mq));
        pipeLinesInto(mq, receiver);
    }

    @Test
    void connectSaysWhenTheServerEndsFirstAndExits4() throws Exception {
        String endpoint = "unix:" + dir.resolve("bye.sock");
        Listener listener = closeLater(Conduit.listen(endpoint));
        CliProcess connect = closeLater(CliProcess.startPiped(List.of(), "connect", endpoint));
        try (Connection c = listener.accept(WAIT)) {
            connect.writeLine("hi");
            assertEquals("hi", c.receiveString(WAIT));
            c.send("bye");
        }
        assertEquals(Main.EXIT_PEER_ENDED, connect.awaitExit(WAIT), () -> "stderr: " + connect.stderr());
        assertEquals(List.of("bye"), connect.stdout());
        assertEquals(List.of("conduit: " + endpoint + ": receive: connection closed by peer"), connect.stderr());
    }

    @Test
    void connectSaysWhenTheFifoReaderGoesAwayAndExits4() throws Exception {
        String fifo = "fifo:" + dir.resolve("gone");
        MessageReceiver receiver = Conduit.openReceiver(fifo);
        CliProcess connect = closeLater(CliProcess.startPiped(List.of(), "connect", fifo));
        try (receiver) {
            connect.writeLine("one");
            assertEquals("one", receiver.receiveString(WAIT));
        }
        connect.writeLine("two");
        assertEquals(Main.EXIT_PEER_ENDED, connect.awaitExit(WAIT), () -> "stderr: " + connect.stderr());
        assertEquals(List.of("conduit: " + fifo + ": send: the receiver closed the FIFO (EPIPE); nothing more can be"
                + " sent on this end"), connect.stderr());
    }

    @Test
    void listenSaysWhenTheFifoWriterGoesAwayAndExits4() throws Exception {
        Path fifo = dir.resolve("w");
        CliProcess listen = closeLater(CliProcess.start("listen", "fifo:" + fifo));
        listen.awaitListening();
        assertEquals(0, run("", "send", "fifo:" + fifo, "only").code());
        assertEquals(Main.EXIT_PEER_ENDED, listen.awaitExit(WAIT), () -> "stderr: " + listen.stderr());
        assertEquals(List.of("only"), listen.stdout());
        assertEquals(List.of("listening on fifo:" + fifo, "conduit: fifo:" + fifo + ": receive: connection closed by peer"),
                listen.stderr());
    }

    @Test
    void aRawClientThatReachesASessionListenerIsToldToAddProtocolConduit() throws Exception {
        String endpoint = "unix:" + dir.resolve("session.sock");
        Listener listener = closeLater(Conduit.listen(endpoint + "?protocol=conduit"));
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    listener.accept().close();
                }
            } catch (IOException e) {
                // Closed at the end of the test.
            }
        });
        String expected = "conduit: " + endpoint + ": the listener speaks Conduit's session protocol (its first"
                + " message is the session hello, byte 00 then 'conduit-session 1'); add ?protocol=conduit to the"
                + " endpoint";
        CliTest.Run send = run("", "send", endpoint, "hi", "--reply");
        assertEquals(1, send.code(), send.err());
        assertEquals("", send.out());
        assertEquals(List.of(expected), send.errLines());
        CliTest.Run connect = run("", "connect", endpoint);
        assertEquals(1, connect.code(), connect.err());
        assertEquals("", connect.out());
        assertEquals(List.of(expected), connect.errLines());
    }
}
