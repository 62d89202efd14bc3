package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.internal.posix.Processes;
import dev.conduit.testing.CPeer;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit's {@code shm:} rings against {@code interop/c/ring_peer.c}, an echo peer written on
 * {@code interop/c/conduit_ring.h}: the layout, messages in pieces, the futex sleep/wake protocol
 * in both directions and the close, checked by C code that shares nothing with the Java side
 * but {@code docs/shm-ring.md}. The peer is built with the gcc on {@code PATH}; without one the
 * tests are skipped, saying so.
 *
 * <p>Senders run on platform threads: a virtual thread waiting for room parks instead of sleeping
 * on the futex, and these tests are about the futex.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CRingInteropTest {
    private static final int RING = 64 * 1024;
    /** The longest message sent as one record: a record is at most half the ring, its 8-byte header included. */
    private static final int WHOLE_MAX = RING / 2 - 8;
    /** Message bytes in one piece: a first piece's record also holds the 8-byte total. */
    private static final int PIECE = RING / 2 - 16;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long EXIT_SECONDS = 5;
    private static final AtomicInteger PEERS = new AtomicInteger();

    /** Why the peer cannot run here, or null. */
    private static String unavailable;
    private static TempDir build;
    private static Path binary;

    private String name;
    private Listener listener;
    private Process peer;

    @BeforeAll
    static void compilePeer() throws Exception {
        build = new TempDir();
        binary = build.resolve("ring_peer");
        unavailable = CPeer.build(CRingInteropTest.class, binary, "ring_peer.c");
    }

    @AfterAll
    static void removeBuild() throws IOException {
        if (build != null) {
            build.close();
            assertFalse(Files.exists(build.path()), "left behind: " + build.path());
        }
    }

    @BeforeEach
    void listen() throws IOException {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        name = "cr" + ProcessHandle.current().pid() + "-" + PEERS.incrementAndGet();
        listener = Conduit.listen("shm:" + name + "?size=64k");
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        if (listener == null) {
            return; // skipped, or the listener failed: nothing was started
        }
        try {
            ChildJvm.kill(peer);
        } finally {
            listener.close();
        }
        assertEquals(List.of(), ourRings(), "ring objects left in /dev/shm");
        assertFalse(Files.exists(handshakeSocket()), "handshake socket left behind: " + handshakeSocket());
        Files.deleteIfExists(build.resolve(name + ".out"));
        Files.deleteIfExists(build.resolve(name + ".err"));
    }

    @Test
    void manySmallMessagesComeBackInOrderAndIntact() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            messages.add(message(i, (i * 37) % 301));
        }
        try (Connection c = startPeer()) {
            stream(c, messages, false);
        }
        Map<String, Long> counters = finish();
        assertEquals(messages.size(), counters.get("messages"), counters.toString());
        assertEquals(messages.stream().mapToLong(m -> m.length).sum(), counters.get("bytes"), counters.toString());
    }

    @Test
    void anEmptyMessageAndMessagesAroundTheRecordLimitComeBackIntact() throws Exception {
        int[] sizes = {0, 1, 7, 8, 9, PIECE - 1, PIECE, WHOLE_MAX - 1, WHOLE_MAX, WHOLE_MAX + 1, WHOLE_MAX + 8,
            RING / 2, 2 * PIECE - 1, 2 * PIECE, 2 * PIECE + 1, RING - 1, RING, RING + 1, 0};
        List<byte[]> messages = new ArrayList<>();
        try (Connection c = startPeer()) {
            for (int i = 0; i < sizes.length; i++) {
                messages.add(message(i, sizes[i]));
                roundTrip(c, messages.getLast());
            }
            // Again as a stream, three times over, so records and pieces meet the wrap at other places.
            stream(c, Stream.of(messages, messages, messages).flatMap(List::stream).toList(), false);
        }
        assertEquals(4L * sizes.length, finish().get("messages"));
    }

    @Test
    void aMessageMuchLongerThanTheRingGoesInPiecesBothWays() throws Exception {
        try (Connection c = startPeer()) {
            roundTrip(c, message(1, (1 << 20) + 3));
            stream(c, List.of(message(2, 3 * (1 << 20) + 5), message(3, 0), message(4, 100), message(5, 1 << 20)),
                    false);
        }
        assertEquals(5L, finish().get("messages"));
    }

    @Test
    void aBurstThatFillsBothRingsPutsBothProducersToSleepAndTheirConsumersWakeThem() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            messages.add(message(i, 1000));
        }
        try (Connection c = startPeer()) {
            // While Java does not receive, the C peer fills ring 0 and sleeps; then Java fills ring 1 and sleeps.
            stream(c, messages, true);
        }
        Map<String, Long> counters = finish();
        assertEquals(messages.size(), counters.get("messages"), counters.toString());
        assertTrue(counters.get("producer_sleeps") >= 1, "the C producer never slept on a full ring: " + counters);
        assertTrue(counters.get("producer_woken") >= 1, "Java's receiver never woke the C producer: " + counters);
        assertTrue(counters.get("woke_producer") >= 1, "the C consumer never woke Java's producer: " + counters);
    }

    @Test
    void aSendFromTheIdleCPeerWakesAJavaReceiverBlockedInReceive() throws Exception {
        int rounds = 15;
        long[] latencies = new long[rounds];
        try (Connection c = startPeer()) {
            assertNull(c.receive(Duration.ofMillis(200)), "a message from nowhere");
            for (int i = 0; i < rounds; i++) {
                byte[] message = message(i, 64);
                Running<Long> received = onPlatformThread("ring-receiver", () -> {
                    byte[] echo = c.receive(Duration.ofSeconds(5));
                    long at = System.nanoTime();
                    assertArrayEquals(message, echo);
                    return at;
                });
                Waits.until("both sides sleep on their futexes", WAIT,
                        () -> Waits.isIn(received.thread(), "Futex", "await") && Waits.isAsleep(peer));
                long sentAt = System.nanoTime();
                c.send(message);
                latencies[i] = received.result().get(10, TimeUnit.SECONDS) - sentAt;
            }
        }
        Map<String, Long> counters = finish();
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        // Without the wakes each round would wait out a slice: about 30 ms for Java, up to 50 ms for C.
        assertTrue(sorted[rounds / 2] < TimeUnit.MILLISECONDS.toNanos(15),
                "round trips (ns) " + Arrays.toString(latencies) + " with " + counters);
        assertTrue(counters.get("consumer_woken") >= 1, "Java's send never woke the C consumer: " + counters);
        assertTrue(counters.get("woke_consumer") >= 1, "the C producer never woke Java's receiver: " + counters);
    }

    @Test
    void theCPeerStopsWhenJavaClosesWhileItWaitsForRoom() throws Exception {
        Running<Void> sender;
        try (Connection c = startPeer()) {
            sender = onPlatformThread("ring-sender", () -> {
                for (int i = 0; i < 300; i++) {
                    c.send(message(i, 1000));
                }
                return null;
            });
            awaitFullRings(sender.thread());
        }
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> sender.result().get(5, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionClosedException.class, e.getCause());
        Map<String, Long> counters = finish();
        assertTrue(counters.get("producer_sleeps") >= 1, "the C producer never waited for room: " + counters);
        assertTrue(counters.get("messages") < 300, counters.toString());
    }

    @Test
    void javaSeesTheDeathOfTheCPeerAsAClosedConnection() throws Exception {
        try (Connection c = startPeer()) {
            roundTrip(c, message(1, 10));
            peer.destroyForcibly();
            assertThrows(ConnectionClosedException.class, () -> c.receive(Duration.ofSeconds(10)));
        }
    }

    private Connection startPeer() throws IOException {
        peer = new ProcessBuilder(binary.toString(), name)
                .redirectOutput(build.resolve(name + ".out").toFile())
                .redirectError(build.resolve(name + ".err").toFile())
                .start();
        Connection c = listener.accept(WAIT);
        assertNotNull(c, "ring_peer did not connect within " + WAIT + stderr());
        return c;
    }

    /** Waits for the peer to exit 0 once Java has closed, and returns the counters it printed. */
    private Map<String, Long> finish() throws Exception {
        assertTrue(peer.waitFor(EXIT_SECONDS, TimeUnit.SECONDS),
                "ring_peer did not exit within " + EXIT_SECONDS + " s of the close" + stderr());
        assertEquals(0, peer.exitValue(), "ring_peer failed" + stderr());
        String line = Files.readString(build.resolve(name + ".out")).strip();
        return Arrays.stream(line.split(" ")).map(pair -> pair.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> Long.parseLong(kv[1])));
    }

    private String stderr() throws IOException {
        Path err = build.resolve(name + ".err");
        return Files.exists(err) ? "; its stderr: " + Files.readString(err).strip() : "";
    }

    private static void roundTrip(Connection c, byte[] message) throws IOException {
        c.send(message);
        assertArrayEquals(message, c.receive(WAIT), "echo of " + message.length + " bytes");
    }

    /**
     * Sends {@code messages} from another thread while this one receives the echoes, and checks
     * each in order. With {@code fillFirst}, receiving starts only once both rings are full.
     */
    private void stream(Connection c, List<byte[]> messages, boolean fillFirst) throws Exception {
        Running<Void> sender = onPlatformThread("ring-sender", () -> {
            for (byte[] m : messages) {
                c.send(m);
            }
            return null;
        });
        if (fillFirst) {
            awaitFullRings(sender.thread());
        }
        for (int i = 0; i < messages.size(); i++) {
            byte[] echo = c.receive(WAIT);
            assertNotNull(echo, "echo " + i + " of " + messages.size() + " did not come within " + WAIT);
            assertArrayEquals(messages.get(i), echo, "echo " + i + " (" + messages.get(i).length + " bytes)");
        }
        sender.result().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Waits until Java's {@code sender} waits for room in ring 1, which the C peer empties no
     * more because it waits, asleep, for room in ring 0 that Java does not read.
     */
    private void awaitFullRings(Thread sender) {
        // Both looks also hold for a moment while the C peer, asleep as a consumer, is being woken
        // to drain ring 1; only the full rings last, so the state must hold for 100 ms on end.
        long[] since = {0};
        Waits.until("both producers wait for room", WAIT, () -> {
            if (!(Waits.isIn(sender, "ShmConnection", "awaitRoom") && Waits.isAsleep(peer))) {
                since[0] = 0;
                return false;
            }
            long now = System.nanoTime();
            if (since[0] == 0) {
                since[0] = now;
            }
            return now - since[0] >= TimeUnit.MILLISECONDS.toNanos(100);
        });
    }

    /** A task running on a thread of its own: its result, and the thread, to look at what it waits for. */
    private record Running<T>(FutureTask<T> result, Thread thread) {
    }

    private static <T> Running<T> onPlatformThread(String threadName, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        return new Running<>(future, Thread.ofPlatform().name(threadName).daemon().start(future));
    }

    private static byte[] message(int seed, int size) {
        byte[] b = new byte[size];
        for (int k = 0; k < size; k++) {
            b[k] = (byte) (seed * 31 + k * 7 + (k >>> 8));
        }
        return b;
    }

    private Path handshakeSocket() {
        String tmp = Objects.requireNonNullElse(System.getenv("TMPDIR"), "");
        return Path.of(tmp.isEmpty() ? "/tmp" : tmp, "conduit-shm-" + name);
    }

    /** The ring objects this process made: there must be none once connections are set up. */
    private static List<String> ourRings() throws IOException {
        String prefix = "conduit-" + Processes.getpid() + "-";
        try (Stream<Path> entries = Files.list(Path.of("/dev/shm"))) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
        }
    }
}
