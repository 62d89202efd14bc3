package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attacks of issue 17 against {@code conduit listen --echo} in a child JVM with a small heap:
 * many peers that announce 16 MiB frames and send part of them. The listener must stay within its
 * heap, serve a well-behaved client throughout and after, and end promptly on SIGTERM.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HostilePeersTest {
    private static final int ATTACKERS = 300;
    private static final int DECLARED = 16 << 20;
    /** Sent of each declared frame: 300 such partial frames would need 300 MiB of arrays, more than the heap. */
    private static final int SENT = 512 << 10;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void partialFramesFromManyPeersStayWithinTheHeap(String scheme) throws Exception {
        String endpoint = scheme.equals("unix") ? "unix:" + dir.resolve("hostile.sock") : "tcp://127.0.0.1:0";
        try (CliProcess listener = CliProcess.start(List.of("-Xmx256m"), "listen", endpoint, "--echo")) {
            String at = listener.awaitListening();
            List<SocketChannel> attackers = new ArrayList<>();
            try {
                AtomicInteger refused = attack(at, attackers);
                echoes(at, "during", listener);
                assertTrue(refused.get() >= ATTACKERS / 2, refused + " attackers disconnected: the budget did not act");
                long rss = residentBytes(listener.process().pid());
                System.out.printf("%s: %d attackers (%d cut off by the budget); listener RSS %d MiB%n", scheme,
                        ATTACKERS, refused.get(), rss >> 20);
                assertTrue(rss < 640L << 20, "listener RSS " + (rss >> 20) + " MiB");
            } finally {
                for (SocketChannel c : attackers) {
                    c.close();
                }
            }
            echoes(at, "after", listener);
            assertFalse(String.join("\n", listener.stderr()).contains("OutOfMemoryError"), listener.stderr().toString());
            long start = System.nanoTime();
            listener.process().destroy();
            listener.awaitExit(Duration.ofSeconds(10));
            System.out.printf("%s: exited %d ms after SIGTERM%n", scheme,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp"})
    void halfFramesAreClosedByTheFrameTimeout(String scheme) throws Exception {
        String endpoint = (scheme.equals("unix") ? "unix:" + dir.resolve("half.sock") : "tcp://127.0.0.1:0")
                + "?frameTimeout=1s";
        try (CliProcess listener = CliProcess.start(List.of("-Xmx256m"), "listen", endpoint, "--echo")) {
            String at = listener.awaitListening();
            List<SocketChannel> halves = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    SocketChannel c = open(at);
                    halves.add(c);
                    c.write(ByteBuffer.allocate(8).putInt(DECLARED).putInt(42).flip());
                }
                echoes(at, "while 200 half frames wait", listener);
                List<SocketChannel> open = new ArrayList<>(halves);
                Waits.until("the half-frame connections to be closed by frameTimeout=1s", Duration.ofSeconds(20),
                        () -> {
                            open.removeIf(HostilePeersTest::endedOrFailed);
                            return open.isEmpty();
                        });
                assertEquals(0, open.size(), "half-frame connections still open after 20 s with frameTimeout=1s");
            } finally {
                for (SocketChannel c : halves) {
                    c.close();
                }
            }
            echoes(at, "after", listener);
            assertTrue(String.join("\n", listener.stderr()).contains("a frame was still incomplete"),
                    listener.stderr().toString());
            listener.process().destroy();
            listener.awaitExit(Duration.ofSeconds(10));
        }
    }

    /**
     * Connects the attackers; each announces a 16 MiB frame and sends {@link #SENT} bytes of it.
     *
     * @return how many found their connection closed by the listener
     */
    private static AtomicInteger attack(String at, List<SocketChannel> attackers) throws Exception {
        AtomicInteger refused = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < ATTACKERS; i++) {
            SocketChannel c = open(at);
            attackers.add(c);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    ByteBuffer b = ByteBuffer.allocate(4 + SENT).putInt(DECLARED);
                    b.clear();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                } catch (IOException e) {
                    refused.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30));
        }
        // A refused attacker may have written all its bytes (into a large TCP buffer) before the listener
        // read them and closed it: its read ends. Past the budget, at least half must be cut off.
        List<SocketChannel> open = new ArrayList<>(attackers);
        Waits.until("half of the attackers to be cut off by the receive budget", Duration.ofSeconds(20), () -> {
            open.removeIf(HostilePeersTest::endedOrFailed);
            return ATTACKERS - open.size() >= ATTACKERS / 2;
        });
        refused.set(ATTACKERS - open.size());
        return refused;
    }

    private static boolean endedOrFailed(SocketChannel c) {
        try {
            c.configureBlocking(false);
            return c.read(ByteBuffer.allocate(1)) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    static SocketChannel open(String endpoint) throws IOException {
        String at = endpoint.contains("?") ? endpoint.substring(0, endpoint.indexOf('?')) : endpoint;
        SocketAddress address;
        SocketChannel c;
        if (at.startsWith("unix:")) {
            address = UnixDomainSocketAddress.of(at.substring("unix:".length()));
            c = SocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            String hostPort = at.substring("tcp://".length());
            address = new InetSocketAddress("127.0.0.1", Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1)));
            c = SocketChannel.open();
        }
        c.connect(address);
        return c;
    }

    /** A well-behaved client's round trip; on failure, what the listener printed says why. */
    private static void echoes(String at, String when, CliProcess listener) throws IOException {
        try (Connection client = Conduit.connect(at, Duration.ofSeconds(10))) {
            client.send("well-behaved " + when);
            assertEquals("well-behaved " + when, client.receiveString(Duration.ofSeconds(20)));
        } catch (IOException | AssertionError e) {
            List<String> stderr = listener.stderr();
            throw new AssertionError("a well-behaved client " + when + " the attack: " + e + "; the listener printed "
                    + stderr.subList(Math.max(0, stderr.size() - 20), stderr.size()), e);
        }
    }

    static long residentBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
