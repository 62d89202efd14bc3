package dev.conduit.internal.ipcez;

import dev.conduit.AckTimeoutException;
import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit's {@code ?ack=ipcez} against {@code interop/c/ipcez_peer.c}, a C program that plays
 * ipcez's local Linux protocol (frames, {@code sem_open}ed semaphores, the 5 s wait) from its
 * published behaviour, in both roles. Built with the gcc on {@code PATH}; without one the tests
 * are skipped, saying so.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IpcezInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static String unavailable;
    private static TempDir build;
    private static Path binary;

    private Path socket;
    private Endpoint endpoint;
    private Process peer;

    @BeforeAll
    static void compilePeer() throws Exception {
        Path source = peerSource();
        Optional<Path> gcc = onPath("gcc");
        if (gcc.isEmpty()) {
            unavailable = "gcc not found on PATH; " + source + " cannot be built";
            System.err.println(IpcezInteropTest.class.getSimpleName() + " skipped: " + unavailable);
            return;
        }
        build = new TempDir();
        binary = build.resolve("ipcez_peer");
        Process p = new ProcessBuilder(gcc.get().toString(), "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror",
                "-pthread", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gcc did not finish within 60 s");
        assertEquals(0, p.exitValue(), "gcc could not build " + source + ":\n" + output);
    }

    @AfterAll
    static void removeBuild() throws IOException {
        if (build != null) {
            build.close();
        }
    }

    @BeforeEach
    void pickEndpoint() throws IOException {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        socket = build.resolve("ipcez-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet() + ".sock");
        endpoint = Endpoint.parse("unix:" + socket);
        IpcezFixture.unlinkSemaphores(endpoint);
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (endpoint == null) {
            return;
        }
        try {
            ChildJvm.kill(peer);
        } finally {
            IpcezFixture.unlinkSemaphores(endpoint);
            Files.deleteIfExists(socket);
        }
    }

    @Test
    void anIpcezClientGetsEveryAcknowledgementInTimeFromABareListenerAndAcknowledgesItsReplies() throws Exception {
        int count = 12;
        try (Listener listener = Conduit.listen(socket + "?ack=ipcez")) {
            peer = startPeer("client", socket.toString(), Integer.toString(count));
            try (Connection c = listener.accept(WAIT)) {
                assertNotNull(c, "ipcez_peer did not connect within " + WAIT + stderr());
                for (int i = 0; i < count; i++) {
                    byte[] m = c.receive(WAIT);
                    assertNotNull(m, "message " + i + " did not come" + stderr());
                    assertArrayEquals(IpcezFixture.message(i), m, "message " + i);
                }
                for (byte[] reply : List.of(new byte[0], "from conduit".getBytes(StandardCharsets.UTF_8))) {
                    c.send(reply); // returns only once the peer posted data_acked for it
                }
            }
            assertEquals("sent=12 acked=12 timeouts=0 received=2 bytes=12", counters(finish()));
        }
        assertEquals(List.of(), IpcezFixture.semaphoreFiles(endpoint), "semaphores left after the listener closed");
    }

    @Test
    void anIpcezServerServesAConduitClientBothWays() throws Exception {
        peer = startPeer("server", socket.toString());
        int count = 10;
        try (Connection c = Conduit.connect("unix:" + socket + "?ack=ipcez", WAIT)) {
            for (int i = 0; i < count; i++) {
                byte[] m = IpcezFixture.message(i);
                c.send(m); // waits for the server's data_acked
                assertArrayEquals(m, c.receive(WAIT), "echo " + i); // the server waits for ours
            }
        }
        String line = finish();
        assertEquals("sent=10 acked=10 timeouts=0 received=10", counters(line).replaceAll(" bytes=\\d+$", ""), line);
    }

    @Test
    void aRecipientThatNeverAcknowledgesGivesTheConduitSenderItsTimeOut() throws Exception {
        peer = startPeer("silent", socket.toString());
        String client = "unix:" + socket + "?ack=ipcez&ackTimeout=300ms";
        try (Connection c = Conduit.connect(client, WAIT)) {
            AckTimeoutException e = assertThrows(AckTimeoutException.class, () -> c.send("hello"));
            assertEquals(client.replace("300ms", "300ms") + ": send: no acknowledgement on semaphore "
                    + IpcezAck.ackedName(endpoint) + " within 300 ms; the message was delivered, the recipient"
                    + " did not acknowledge it", e.getMessage());
            assertTrue(c.isOpen(), "the connection stays open");
        }
        assertEquals("sent=0 acked=0 timeouts=0 received=1 bytes=5", counters(finish()));
    }

    private Process startPeer(String... args) throws IOException {
        String[] command = new String[args.length + 1];
        command[0] = binary.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return new ProcessBuilder(command)
                .redirectOutput(build.resolve(socket.getFileName() + ".out").toFile())
                .redirectError(build.resolve(socket.getFileName() + ".err").toFile())
                .start();
    }

    /** Waits for the peer to exit 0 and returns the counters it printed last. */
    private String finish() throws Exception {
        assertTrue(peer.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "ipcez_peer did not exit" + stderr());
        assertEquals(0, peer.exitValue(), "ipcez_peer failed" + stderr());
        List<String> lines = Files.readAllLines(build.resolve(socket.getFileName() + ".out"));
        return lines.getLast();
    }

    /** @return the counters without the checksum */
    private static String counters(String line) {
        return line.replaceAll(" checksum=\\d+$", "");
    }

    private String stderr() throws IOException {
        Path err = build.resolve(socket.getFileName() + ".err");
        return Files.exists(err) ? "; its stderr: " + Files.readString(err).strip() : "";
    }

    private static Path peerSource() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path source = dir.resolve("interop").resolve("c").resolve("ipcez_peer.c");
            if (Files.isRegularFile(source)) {
                return source;
            }
        }
        throw new AssertionError("interop/c/ipcez_peer.c not found in " + start + " or any directory above it");
    }

    private static Optional<Path> onPath(String program) {
        String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
        return Arrays.stream(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, program)).filter(Files::isExecutable).findFirst();
    }
}
