package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Listener;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's last two: quick connect/close cycles must not pile up native memory in
 * {@code conduit listen --echo}, and a loaded listener must give its port back as soon as it
 * ends on SIGTERM. The child has a young generation so large that no GC runs during the
 * cycles, so memory that only a GC would free shows in its RSS.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionChurnTest {
    private static final int CYCLES = 3000;
    /** Each connection had 128 KiB of direct buffers: 3000 cycles left 375 MiB until a GC. */
    private static final long GROWTH_BOUND = 96L << 20;
    private static final List<String> NO_GC = List.of("-Xms1g", "-Xmn900m");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void connectCloseCyclesLeaveNoNativeMemory(String scheme) throws Exception {
        String endpoint = scheme.equals("unix") ? "unix:" + dir.resolve("churn.sock") : "tcp://127.0.0.1:0";
        try (CliProcess listener = CliProcess.start(NO_GC, "listen", endpoint, "--echo")) {
            String at = listener.awaitListening();
            long pid = listener.process().pid();
            cycles(at, 200);
            long before = HostilePeersTest.residentBytes(pid);
            long descriptors = descriptors(pid);
            cycles(at, CYCLES);
            // The last connections close on the listener's threads just after the client's end.
            Waits.until("the listener to close the cycles' connections", Duration.ofSeconds(20),
                    () -> descriptors(pid) <= descriptors);
            long growth = HostilePeersTest.residentBytes(pid) - before;
            System.out.printf("%s: %d connect/echo/close cycles; listener RSS grew %d MiB%n", scheme, CYCLES,
                    growth >> 20);
            assertTrue(growth < GROWTH_BOUND, CYCLES + " cycles over " + at + " grew the listener's RSS by "
                    + (growth >> 20) + " MiB (bound " + (GROWTH_BOUND >> 20) + " MiB)");
        }
    }

    @Test
    void aLoadedListenerGivesItsPortBackOnSigterm() throws Exception {
        List<SocketChannel> clients = new ArrayList<>();
        try (CliProcess listener = CliProcess.start(List.of("-Xmx256m"), "listen", "tcp://127.0.0.1:0", "--echo")) {
            String at = listener.awaitListening();
            for (int i = 0; i < 300; i++) {
                SocketChannel c = HostilePeersTest.open(at);
                clients.add(c);
                roundTrip(c);
            }
            for (int i = 0; i < 20; i++) {
                clients.add(flooder(at));
            }
            listener.process().destroy();
            listener.awaitExit(Duration.ofSeconds(10));
            // At once, with every client still connected: the old connections must not hold the port.
            try (Listener again = Conduit.listen(at)) {
                assertEquals(at, again.endpoint().toString());
            }
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
        }
    }

    private static void cycles(String at, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            try (SocketChannel c = HostilePeersTest.open(at)) {
                roundTrip(c);
            }
        }
    }

    private static void roundTrip(SocketChannel c) throws IOException {
        c.write(ByteBuffer.allocate(9).putInt(5).put("hello".getBytes()).flip());
        ByteBuffer echo = ByteBuffer.allocate(9);
        while (echo.hasRemaining()) {
            if (c.read(echo) < 0) {
                throw new IOException(c + ": echo cut short after " + echo.position() + " bytes");
            }
        }
    }

    /** @return a client that sent until its socket buffers filled, and never reads */
    private static SocketChannel flooder(String at) throws IOException {
        SocketChannel c = HostilePeersTest.open(at);
        c.configureBlocking(false);
        ByteBuffer frames = ByteBuffer.allocate(9 * 1000);
        while (frames.hasRemaining()) {
            frames.putInt(5).put("flood".getBytes());
        }
        while (frames.flip().hasRemaining() && c.write(frames) > 0) {
            frames.clear().position(frames.capacity());
        }
        return c;
    }

    /** @return how many file descriptors process {@code pid} has open now */
    private static long descriptors(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
