package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.ProcessConnection;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ?framing=lines} and {@code raw} against the line tools people point at sockets, pipes
 * and FIFOs, from Debian's packages: {@code socat}, OpenBSD's {@code nc} ({@code nc -U}, TCP on
 * 127.0.0.1), {@code jq}, {@code /usr/bin/python3}, and the shell's own {@code echo > fifo}. A
 * test whose tool is missing is skipped, saying which and how to install it. Every child is
 * killed and the directory (sockets, FIFOs) removed even when a test fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LineToolsInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<Process> children = new ArrayList<>();
    private TempDir dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        dir.close();
    }

    /** Skips the test, saying so, unless {@code tool} is on the PATH. */
    private static void need(String tool, String debianPackage) throws Exception {
        Process which = new ProcessBuilder("sh", "-c", "command -v " + tool).redirectErrorStream(true).start();
        boolean found = which.waitFor(10, TimeUnit.SECONDS) && which.exitValue() == 0;
        if (!found) {
            System.err.println(LineToolsInteropTest.class.getSimpleName() + " skipped: " + tool
                    + " is not installed (apt-get install " + debianPackage + ", as .ci/run does)");
        }
        assumeTrue(found, tool + " is not installed (apt-get install " + debianPackage + ")");
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        return p;
    }

    private static void type(Process p, String text) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write(text.getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private static BufferedReader output(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static String text(byte[] message) {
        return new String(message, StandardCharsets.UTF_8);
    }

    /** A line from the tool, one way, then a line back, then the tool's end is the connection's end. */
    private static void talk(Connection peer, Process tool) throws IOException {
        type(tool, "hello from the tool\r\n");
        assertEquals("hello from the tool", text(peer.receive(WAIT)));
        type(tool, "{\"a\": [1, 2]}\n");
        assertEquals("{\"a\": [1, 2]}", text(peer.receive(WAIT)));
        peer.send("héllo from Conduit");
        assertEquals("héllo from Conduit", output(tool).readLine());
        tool.getOutputStream().close();
        assertThrows(ConnectionClosedException.class, () -> peer.receive(WAIT));
    }

    @Test
    void unixListenerServesSocat() throws Exception {
        need("socat", "socat");
        Path socket = dir.resolve("a.sock");
        try (Listener listener = Conduit.listen("unix:" + socket + "?framing=lines")) {
            Process socat = start("socat", "-", "UNIX-CONNECT:" + socket);
            try (Connection peer = listener.accept()) {
                talk(peer, socat);
            }
        }
    }

    @Test
    void unixListenerServesNetcat() throws Exception {
        need("nc.openbsd", "netcat-openbsd");
        Path socket = dir.resolve("a.sock");
        try (Listener listener = Conduit.listen("unix:" + socket + "?framing=lines")) {
            Process nc = start("nc.openbsd", "-N", "-U", socket.toString());
            try (Connection peer = listener.accept()) {
                talk(peer, nc);
            }
        }
    }

    @Test
    void tcpListenerServesNetcat() throws Exception {
        need("nc.openbsd", "netcat-openbsd");
        try (Listener listener = Conduit.listen("tcp://127.0.0.1:0?framing=lines")) {
            String port = listener.endpoint().address().substring("127.0.0.1:".length());
            Process nc = start("nc.openbsd", "-N", "127.0.0.1", port);
            try (Connection peer = listener.accept()) {
                talk(peer, nc);
            }
        }
    }

    @Test
    void connectsToNetcatListeningOnAUnixSocket() throws Exception {
        need("nc.openbsd", "netcat-openbsd");
        Path socket = dir.resolve("l.sock");
        Process nc = start("nc.openbsd", "-l", "-U", socket.toString());
        try (Connection c = Conduit.connect("unix:" + socket + "?framing=lines", WAIT)) {
            c.send("ping");
            assertEquals("ping", output(nc).readLine());
            type(nc, "pong\n");
            assertEquals("pong", text(c.receive(WAIT)));
        }
    }

    @Test
    void connectsToNetcatListeningOnTcp() throws Exception {
        need("nc.openbsd", "netcat-openbsd");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process nc = start("nc.openbsd", "-l", "127.0.0.1", String.valueOf(port));
        try (Connection c = Conduit.connect("tcp://127.0.0.1:" + port + "?framing=lines", WAIT)) {
            c.send("ping");
            assertEquals("ping", output(nc).readLine());
            type(nc, "pong\r\n");
            assertEquals("pong", text(c.receive(WAIT)));
        }
    }

    @Test
    void rawBytesBothWaysThroughSocat() throws Exception {
        need("socat", "socat");
        Path socket = dir.resolve("r.sock");
        try (Listener listener = Conduit.listen("unix:" + socket + "?framing=raw")) {
            Process socat = start("socat", "-", "UNIX-CONNECT:" + socket);
            try (Connection peer = listener.accept()) {
                byte[] bytes = {0, 1, '\n', (byte) 0xFF, 0, 0, 0, 9};
                socat.getOutputStream().write(bytes);
                socat.getOutputStream().flush();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                while (got.size() < bytes.length) {
                    got.writeBytes(peer.receive(WAIT));
                }
                assertArrayEquals(bytes, got.toByteArray());
                peer.send(new byte[0]);
                peer.send(new byte[] {'a', 0, 'b'});
                peer.send("\n");
                byte[] back = socat.getInputStream().readNBytes(4);
                assertArrayEquals(new byte[] {'a', 0, 'b', '\n'}, back);
            }
        }
    }

    @Test
    void spawnsJqAndReadsItsCompactLines() throws Exception {
        need("jq", "jq");
        // A pipe makes jq buffer its output until it exits: --unbuffered prints each result at once.
        try (ProcessConnection jq = Conduit.spawn(new ProcessBuilder("jq", "-c", "--unbuffered", "."),
                "stdio?framing=lines")) {
            jq.send("{ \"name\" : \"conduit\", \"sizes\" : [ 1, 2, 3 ] }");
            assertEquals("{\"name\":\"conduit\",\"sizes\":[1,2,3]}", text(jq.receive(WAIT)));
            jq.send("[ \"é\" , null ]");
            assertEquals("[\"é\",null]", text(jq.receive(WAIT)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> jq.send("{}\n{}"));
            assertEquals("spawn:jq(pid " + jq.process().pid() + "): send: the message holds a newline at byte 2 of"
                    + " 5; with framing=lines a newline ends a message, so send each line on its own (or use"
                    + " framing=frames or raw for any bytes)", e.getMessage());
            jq.send("{\"still\": \"usable\"}");
            assertEquals("{\"still\":\"usable\"}", text(jq.receive(WAIT)));
        }
    }

    @Test
    void spawnsAPythonScriptThatPrintsLinesAndEndsWithoutANewline() throws Exception {
        need("/usr/bin/python3", "python3");
        String script = String.join("\n",
                "import sys",
                "for line in sys.stdin:",
                "    if line.strip() == 'stop':",
                "        break",
                "    print(line.rstrip('\\n').upper(), flush=True)",
                "sys.stdout.write('no newline at the end')");
        try (ProcessConnection python = Conduit.spawn(new ProcessBuilder("/usr/bin/python3", "-c", script),
                "stdio?framing=lines")) {
            python.send("first");
            assertEquals("FIRST", text(python.receive(WAIT)));
            python.send("");
            assertEquals("", text(python.receive(WAIT)));
            python.send("stop");
            assertEquals("no newline at the end", text(python.receive(WAIT)));
            ConnectionClosedException end = assertThrows(ConnectionClosedException.class,
                    () -> python.receive(WAIT));
            assertTrue(end.getMessage().startsWith("spawn:/usr/bin/python3(pid " + python.process().pid()
                    + "): receive: connection closed by peer"), end.getMessage());
        }
    }

    @Test
    void readsTheShellsEchoIntoAFifo() throws Exception {
        Path fifo = dir.resolve("f");
        try (MessageReceiver receiver = Conduit.openReceiver("fifo:" + fifo + "?framing=lines")) {
            Process sh = start("sh", "-c", "echo 'hello from sh' > \"$1\"", "sh", fifo.toString());
            assertEquals("hello from sh", text(receiver.receive(WAIT)));
            assertEquals(0, sh.waitFor(10, TimeUnit.SECONDS) ? sh.exitValue() : -1);
            assertThrows(ConnectionClosedException.class, () -> receiver.receive(WAIT));
        }
    }

    @Test
    void aFifoWritersLastLineWithoutNewlineIsDeliveredThenTheEnd() throws Exception {
        Path fifo = dir.resolve("g");
        try (MessageReceiver receiver = Conduit.openReceiver("fifo:" + fifo + "?framing=lines")) {
            start("sh", "-c", "{ echo one; printf 'two\\r\\n\\nthree'; } > \"$1\"", "sh", fifo.toString());
            List<String> got = new ArrayList<>();
            try {
                while (true) {
                    got.add(text(receiver.receive(WAIT)));
                }
            } catch (ConnectionClosedException e) {
                // Every writer has gone: the end, after the last line.
            }
            assertEquals(List.of("one", "two", "", "three"), got);
        }
        assertEquals(false, Files.exists(fifo), "the receiver removes the FIFO it made");
    }
}
