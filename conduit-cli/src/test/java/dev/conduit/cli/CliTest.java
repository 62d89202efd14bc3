package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands end to end: {@code listen} as its own JVM, the others in this one against real listeners. */
@Timeout(60)
final class CliTest {
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);

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

    /** One in-process run of {@code conduit}. */
    record Run(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out),
                new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Echoes every message on every connection, in this JVM, until closed. */
    private Listener echoServer(String endpoint) throws IOException {
        Listener listener = closeLater(Conduit.listen(endpoint));
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    Connection c = listener.accept();
                    Thread.ofVirtual().start(() -> {
                        try (c) {
                            DemoPeerCommand.echo(c, Long.MAX_VALUE);
                        } catch (IOException e) {
                            // The test ended the connection.
                        }
                    });
                }
            } catch (IOException e) {
                // The listener was closed at the end of the test.
            }
        });
        return listener;
    }

    @Test
    void listenWithCountPrintsEachMessageAsOneLineThenExitsAndRemovesTheSocket() throws Exception {
        Path socket = dir.resolve("x.sock");
        CliProcess listen = closeLater(CliProcess.start("listen", "unix:" + socket, "--count", "2"));
        String endpoint = listen.awaitListening();
        assertEquals("unix:" + socket, endpoint);
        try (Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10))) {
            c.send("first");
            c.send("two\nlines \\ ü");
            assertEquals(0, listen.awaitExit(EXIT_TIMEOUT), () -> "stderr: " + listen.stderr());
        }
        assertEquals(List.of("first", "two\\nlines \\\\ ü"), listen.stdout());
        assertFalse(Files.exists(socket), "socket file left behind");
    }

    @Test
    void listenCountsMessagesFromAllClientsTogether() throws Exception {
        CliProcess listen = closeLater(CliProcess.start("listen", "tcp://127.0.0.1:0", "--count", "3",
                "--format", "hex"));
        String endpoint = listen.awaitListening();
        assertTrue(endpoint.matches("tcp://127\\.0\\.0\\.1:[1-9][0-9]*"), endpoint);
        try (Connection a = Conduit.connect(endpoint, Duration.ofSeconds(10));
             Connection b = Conduit.connect(endpoint, Duration.ofSeconds(10))) {
            a.send(new byte[] {1});
            b.send(new byte[] {2});
            a.send(new byte[] {3});
            assertEquals(0, listen.awaitExit(EXIT_TIMEOUT), () -> "stderr: " + listen.stderr());
        }
        assertEquals(List.of("01", "02", "03"), listen.stdout().stream().sorted().toList());
    }

    @Test
    void terminatingListenRemovesTheSocketFile() throws Exception {
        Path socket = dir.resolve("t.sock");
        CliProcess listen = closeLater(CliProcess.start("listen", "unix:" + socket));
        listen.awaitListening();
        assertTrue(Files.exists(socket));
        listen.process().destroy(); // SIGTERM, as kill(1) sends
        listen.awaitExit(EXIT_TIMEOUT);
        assertFalse(Files.exists(socket), "socket file left behind after SIGTERM");
    }

    @Test
    void sendWithReplyPrintsTheEchoFromListenEcho() throws Exception {
        CliProcess listen = closeLater(CliProcess.start("listen", "unix:" + dir.resolve("e.sock"), "--echo"));
        String endpoint = listen.awaitListening();
        Run send = run("", "send", endpoint, "hello", "a\\nb", "--reply");
        assertEquals(0, send.code(), send.err());
        assertEquals(List.of("hello", "a\\nb"), send.outLines());
        assertEquals("", send.err());
    }

    @Test
    void listenWithLinesEchoesLinesToSendWithLines() throws Exception {
        CliProcess listen = closeLater(CliProcess.start("listen", "unix:" + dir.resolve("l.sock") + "?framing=lines",
                "--echo"));
        String endpoint = listen.awaitListening();
        Run send = run("", "send", endpoint, "hello", "wörld", "--reply");
        assertEquals(0, send.code(), send.err());
        assertEquals(List.of("hello", "wörld"), send.outLines());
    }

    @Test
    void listenWithLinesPrintsWhatAPlainSocketWrites() throws Exception {
        Path socket = dir.resolve("p.sock");
        CliProcess listen = closeLater(CliProcess.start("listen", "unix:" + socket + "?framing=lines", "--count", "3"));
        listen.awaitListening();
        try (java.nio.channels.SocketChannel raw = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(socket))) {
            raw.write(java.nio.ByteBuffer.wrap("one\r\ntwo\nlast".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        assertEquals(0, listen.awaitExit(EXIT_TIMEOUT), () -> "stderr: " + listen.stderr());
        assertEquals(List.of("one", "two", "last"), listen.stdout());
    }

    @Test
    void sendFailsWhenNoReplyComesInTime() throws Exception {
        String endpoint = "unix:" + dir.resolve("silent.sock");
        Listener silent = closeLater(Conduit.listen(endpoint));
        Thread.ofVirtual().start(() -> {
            try (Connection c = silent.accept()) {
                c.receive();
                c.receive(); // the client closing ends this
            } catch (IOException e) {
                // Closed by the test.
            }
        });
        Run send = run("", "send", endpoint, "anyone?", "--reply", "--timeout", "300ms");
        assertEquals(1, send.code());
        assertEquals(List.of("conduit: " + endpoint + ": no reply to message 1 of 1 within 300ms"), send.errLines());
    }

    @Test
    void connectSendsEachStdinLineAndPrintsTheReplies() throws Exception {
        String endpoint = "unix:" + dir.resolve("c.sock");
        echoServer(endpoint);
        Run connect = run("hi\nthere\\nfriend\n\n", "connect", endpoint);
        assertEquals(0, connect.code(), connect.err());
        assertEquals(List.of("hi", "there\\nfriend", ""), connect.outLines());
    }

    @Test
    void connectReadsAndWritesHex() throws Exception {
        String endpoint = "mem:cli-test-hex";
        echoServer(endpoint);
        Run connect = run("00ff\n", "connect", endpoint, "--format", "hex");
        assertEquals(0, connect.code(), connect.err());
        assertEquals(List.of("00ff"), connect.outLines());
    }

    @Test
    void connectExitsZeroWhenThePeerClosesAfterTheInputEnded() throws Exception {
        String endpoint = "unix:" + dir.resolve("bye.sock");
        Listener listener = closeLater(Conduit.listen(endpoint));
        CountDownLatch inputEnded = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try (Connection c = listener.accept()) {
                c.send("bye");
                inputEnded.await(); // so the input's end comes first for sure
            } catch (IOException | InterruptedException e) {
                // Closed by the test.
            }
        });
        // connect closes standard input once it has read to the end.
        InputStream in = new ByteArrayInputStream(new byte[0]) {
            @Override
            public void close() {
                inputEnded.countDown();
            }
        };
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(in, new PrintWriter(out), new PrintWriter(err), "connect", endpoint), err::toString);
        assertEquals(List.of("bye"), out.toString().lines().toList());
    }

    @Test
    void connectReportsTheLineOfBadInput() throws Exception {
        String endpoint = "unix:" + dir.resolve("bad.sock");
        echoServer(endpoint);
        Run connect = run("00\nzz\n", "connect", endpoint, "--format", "hex");
        assertEquals(1, connect.code());
        assertEquals(List.of("conduit: " + endpoint + ": standard input line 2: invalid hex 'zz': 'z' at index 0"
                + " is not a hex digit (expected 0-9, a-f or A-F)"), connect.errLines());
    }

    @Test
    void unknownEndpointOptionFailsWithOneLine() throws Exception {
        String endpoint = "unix:" + dir.resolve("x.sock") + "?bogus=1";
        CliProcess listen = closeLater(CliProcess.start("listen", endpoint));
        assertEquals(1, listen.awaitExit(EXIT_TIMEOUT));
        assertEquals(List.of("conduit: endpoint '" + endpoint + "': unknown option 'bogus' for unix"
                + " (known: ack, ackTimeout, allowGroups, allowUsers, frameTimeout, framing, idleTimeout, maxFrame, mode,"
                + " receiveBudget, serverUsers, spin)"), listen.stderr());
        assertEquals(List.of(), listen.stdout());
    }

    @Test
    void sendAndListenWorkAgainstEachOtherOverAFifo() throws Exception {
        Path fifo = dir.resolve("izi_ipc_cli");
        CliProcess listen = closeLater(CliProcess.start("listen", "fifo:" + fifo));
        assertEquals("fifo:" + fifo, listen.awaitListening());
        Run send = run("", "send", "fifo:" + fifo, "first", "two words");
        assertEquals(0, send.code(), send.err());
        assertEquals(Main.EXIT_PEER_ENDED, listen.awaitExit(EXIT_TIMEOUT), () -> "stderr: " + listen.stderr());
        assertEquals(List.of("first", "two words"), listen.stdout(), "listen ends when its only sender leaves");
        assertFalse(Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the FIFO listen made is left behind");
    }

    @Test
    void sendAndListenWorkAgainstEachOtherOverAMessageQueue() throws Exception {
        String endpoint = "mq:0x" + Integer.toHexString(0x4F000000 | (int) (ProcessHandle.current().pid() & 0xFFFFFF));
        CliProcess listen = closeLater(CliProcess.start("listen", endpoint + "?type=2"));
        assertEquals(endpoint + "?type=2", listen.awaitListening());
        Run other = run("", "send", endpoint + "?type=1", "not for this listener");
        assertEquals(0, other.code(), other.err());
        Run send = run("", "send", endpoint + "?type=2", "first", "two words");
        assertEquals(0, send.code(), send.err());
        Run last = run("", "send", endpoint + "?type=2", "third");
        assertEquals(0, last.code(), last.err());
        listen.awaitStdoutLines(3, EXIT_TIMEOUT);
        assertEquals(List.of("first", "two words", "third"), listen.stdout(), "the queue outlives its senders");
        listen.process().destroy();
        listen.awaitExit(EXIT_TIMEOUT);
        Run orphan = run("", "send", endpoint, "x", "--timeout", "200ms");
        assertEquals(List.of("conduit: " + endpoint + ": openSender: no queue has key " + endpoint.substring(3)
                + " (waited 200 ms); a receiver makes it when it opens (Conduit.openReceiver), or add create=true, or pass a time-out"
                + " to openSender to wait for one"), orphan.errLines(), "listen removes the queue it made when it ends");
    }

    @Test
    void sendAndListenWorkOverAZipcQueueAndTheSendersExitEndsTheListener() throws Exception {
        String name = "/zc" + ProcessHandle.current().pid();
        Path object = Path.of("/dev/shm" + name);
        try {
            CliProcess listen = closeLater(CliProcess.start("listen", "zipc:" + name));
            assertEquals("zipc:" + name, listen.awaitListening());
            Run send = run("", "send", "zipc:" + name, "hello", "two words");
            assertEquals(0, send.code(), send.err());
            listen.awaitStdoutLines(2, EXIT_TIMEOUT);
            assertEquals(List.of("hello", "two words"), listen.stdout());
            assertEquals(Main.EXIT_PEER_ENDED, listen.awaitExit(EXIT_TIMEOUT), "no process maps the queue: the writer"
                    + " went away");
            assertEquals(List.of("listening on zipc:" + name, "conduit: zipc:" + name + ": receive: connection closed"
                    + " by peer (no process maps /dev/shm" + name + " any more: the sender closed or died)"), listen.stderr());
            assertFalse(Files.exists(object), "the last end to close left " + object);
        } finally {
            Files.deleteIfExists(object);
        }
    }

    @Test
    void sendAndListenWorkOverWebSocketWithAToken() throws Exception {
        CliProcess listen = closeLater(CliProcess.start("listen", "ws://127.0.0.1:0/cli", "--echo", "--token", "t0k"));
        String endpoint = listen.awaitListening();
        assertTrue(endpoint.matches("ws://127\\.0\\.0\\.1:[0-9]+/cli\\?token=\\*\\*\\*"), endpoint);
        String plain = endpoint.substring(0, endpoint.indexOf('?'));
        Run send = run("", "send", plain, "hello", "two words", "--reply", "--token", "t0k");
        assertEquals(0, send.code(), send.err());
        assertEquals(List.of("hello", "two words"), send.outLines());
        Run refused = run("", "send", plain, "x", "--token", "wrong");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("HTTP 401 Unauthorized"), refused.err());
        assertFalse(refused.err().contains("wrong"), "the token is printed: " + refused.err());
        Run misplaced = run("", "send", "unix:" + dir.resolve("x.sock"), "x", "--token", "t0k");
        assertEquals(2, misplaced.code());
        assertTrue(misplaced.err().contains("--token apply to ws:// and wss:// endpoints only"), misplaced.err());
    }

    @Test
    void sendToAFifoNobodyReadsFailsSayingAReceiverMustOpenIt() throws Exception {
        Path fifo = dir.resolve("lonely");
        dev.conduit.Fifo.create(fifo);
        Run send = run("", "send", "fifo:" + fifo, "hi", "--timeout", "200ms");
        assertEquals(1, send.code());
        assertEquals(List.of("conduit: fifo:" + fifo + ": openSender: no receiver has the FIFO open (waited 200 ms);"
                + " a receiver must open the FIFO first (Conduit.openReceiver), or pass a time-out to openSender to"
                + " wait for one"), send.errLines());
    }

    @Test
    void unreachableEndpointFailsWithTheCoreMessage() {
        Path socket = dir.resolve("nobody.sock");
        Run send = run("", "send", "unix:" + socket, "hi", "--timeout", "200ms");
        assertEquals(1, send.code());
        assertEquals(List.of("conduit: unix:" + socket + ": connect: no listener (no socket file at " + socket
                + ") after waiting 200 ms"), send.errLines());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run send = run("", "send", "unix:" + dir.resolve("nobody.sock"), "hi", "--timeout", "0s", "--verbose");
        assertEquals(1, send.code());
        assertTrue(send.errLines().size() > 2, send.err());
        assertTrue(send.errLines().get(1).startsWith("java.io.IOException: unix:"), send.err());
    }

    @Test
    void usageErrorsExitTwoWithOneLine() {
        for (String[] args : List.of(new String[] {"listen"}, new String[] {"listen", "mem:x", "--bogus"},
                new String[] {"listen", "mem:x", "--count", "0"}, new String[] {"send", "mem:x"},
                new String[] {"connect", "mem:x", "--timeout", "soon"}, new String[] {"nosuch"},
                new String[] {"demo", "--size", "4"}, new String[] {"connect", "-"},
                new String[] {"send", "stdio", "hi", "--reply"}, new String[0])) {
            Run run = run("", args);
            assertEquals(2, run.code(), String.join(" ", args));
            assertEquals(1, run.errLines().size(), run.err());
            assertTrue(run.err().startsWith("conduit: "), run.err());
        }
        assertEquals("conduit: Invalid value for option '--timeout': invalid duration 'soon' (expected a whole number"
                + " and a unit ns, us, ms, s, m or h, e.g. 50us, 500ms, 5s or 1m) (see 'conduit connect --help')",
                run("", "connect", "mem:x", "--timeout", "soon").err().strip());
    }

    @Test
    void helpAndVersionExitZero() throws Exception {
        Run help = run("", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: conduit "), help.out());
        assertFalse(help.out().contains("demo-peer"), "the hidden command is listed");
        // Every scheme the registry knows, conduit-websocket's found through the SPI among them.
        String flat = help.out().replaceAll("\\s+", " ");
        assertTrue(flat.contains("the schemes of this build: " + String.join(", ", dev.conduit.Conduit.schemes()) + "."),
                help.out());
        assertTrue(dev.conduit.Conduit.schemes().containsAll(List.of("unix", "shm", "ws", "wss", "zipc")),
                dev.conduit.Conduit.schemes().toString());
        for (String command : List.of("listen", "connect", "send", "demo")) {
            Run sub = run("", command, "--help");
            assertEquals(0, sub.code(), command);
            assertTrue(sub.out().startsWith("Usage: conduit " + command), sub.out());
        }
        CliProcess version = closeLater(CliProcess.start("--version"));
        assertEquals(0, version.awaitExit(EXIT_TIMEOUT));
        assertTrue(version.stdout().getFirst().startsWith("conduit "), version.stdout().toString());
    }

    @Test
    void sendAppendsToALogAndListenFromStartPrintsIt() throws Exception {
        String log = "log:" + dir.resolve("events");
        Run first = run("", "send", log, "one", "two\\nlines");
        assertEquals(0, first.code(), first.err());
        assertEquals(0, run("", "send", log, "three").code());
        Run listen = run("", "listen", log, "--from", "start", "--count", "3");
        assertEquals(0, listen.code(), listen.err());
        assertEquals(List.of("one", "two\\nlines", "three"), listen.outLines());
        assertEquals(List.of("listening on " + log + "?from=start", "position 104 (go on from there with --from 104)"),
                listen.errLines());
        assertEquals(0, run("", "send", log, "four").code());
        Run more = run("", "listen", log, "--from", "104", "--count", "1");
        assertEquals(List.of("four"), more.outLines());
        try (var files = Files.list(dir.resolve("events"))) {
            assertEquals(List.of("0000000000000000.log"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void listenToALogFromTheEndPrintsOnlyWhatComesAfter() throws Exception {
        String log = "log:" + dir.resolve("tail");
        assertEquals(0, run("", "send", log, "old").code());
        CliProcess listen = closeLater(CliProcess.start("listen", log, "--count", "1"));
        listen.awaitListening();
        assertEquals(0, run("", "send", log, "new").code());
        assertEquals(0, listen.awaitExit(EXIT_TIMEOUT), () -> "stderr: " + listen.stderr());
        assertEquals(List.of("new"), listen.stdout());
    }

    @Test
    void fromIsRefusedForOtherSchemesAndWhenTheEndpointSaysItToo() {
        Run unix = run("", "listen", "unix:" + dir.resolve("x.sock"), "--from", "start");
        assertEquals(2, unix.code());
        assertEquals("conduit: endpoint 'unix:" + dir.resolve("x.sock") + "': --from applies to log: endpoints only"
                + " (see 'conduit listen --help')", unix.err().strip());
        Run twice = run("", "listen", "log:" + dir.resolve("l") + "?from=end", "--from", "start");
        assertEquals(2, twice.code());
        assertTrue(twice.err().startsWith("conduit: endpoint 'log:" + dir.resolve("l") + "?from=end': --from start"
                + " and the endpoint's ?from= both say where to start; give one"), twice.err());
    }

    @Test
    void listenEchoSendsBackUnchangedAndPrintsNothing() throws Exception {
        CliProcess listen = closeLater(CliProcess.start("listen", "tcp://127.0.0.1:0", "--echo", "--count", "2"));
        String endpoint = listen.awaitListening();
        try (Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10))) {
            c.send(new byte[] {0, (byte) 0xff});
            c.send("");
            assertEquals("00ff", Formats.Format.HEX.encode(c.receive(Duration.ofSeconds(10))));
            assertEquals(0, c.receive(Duration.ofSeconds(10)).length);
            assertEquals(0, listen.awaitExit(EXIT_TIMEOUT));
            try {
                assertEquals(null, c.receive(Duration.ofSeconds(10)), "a message after the count");
            } catch (ConnectionClosedException expected) {
                // listen closed the connection on exit
            }
        }
        assertEquals(List.of(), listen.stdout());
    }
}
