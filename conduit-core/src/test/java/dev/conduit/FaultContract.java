package dev.conduit;

import dev.conduit.internal.shm.ShmTransport;
import dev.conduit.internal.unix.UnixTransport;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.StampedSender;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults injected into a real second process, for a transport with listeners and connections:
 * a peer killed (SIGKILL) in the middle of sending or of reading, a peer that exits without
 * closing, a peer that stops reading, and a listener killed. For each, the survivor sees every
 * message before the fault whole and in order, then {@link ConnectionClosedException} within
 * {@value #BOUND_SECONDS} s, naming its endpoint; nothing is left in the filesystem.
 *
 * <p>A subclass says which endpoint to listen on. The children are this class's nested mains,
 * run in a child JVM on the test class path, and are killed after every test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class FaultContract {
    /** The most a survivor may take to see a fault, in seconds. */
    public static final int BOUND_SECONDS = 10;
    private static final Duration BOUND = Duration.ofSeconds(BOUND_SECONDS);
    /** Large enough that a kill usually lands while a message is half written. */
    private static final int MOST_BYTES = 256 * 1024;
    /** Runs what may block forever, so that it never holds up the JVM's exit. */
    private static final Executor DAEMON = runnable -> Thread.ofPlatform().daemon().start(runnable);

    private final List<Process> children = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TempDir dir;
    private List<String> shmBefore;

    /** @return the endpoint to listen on; files may go in {@code dir}, which is removed after the test */
    protected abstract String endpoint(TempDir dir);

    /** @return the files a listener on {@code endpoint} makes, which must be gone once it is closed */
    protected List<Path> files(Endpoint endpoint) {
        return switch (endpoint.scheme()) {
            case "unix", "pipe" -> List.of(UnixTransport.socketPath(endpoint));
            case "shm" -> List.of(ShmTransport.socketPath(endpoint));
            default -> List.of();
        };
    }

    @BeforeEach
    void start() throws IOException {
        dir = new TempDir();
        shmBefore = conduitShmObjects();
    }

    @AfterEach
    void cleanUp() throws IOException {
        children.forEach(ChildJvm::kill);
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception e) {
                // Cleaning up after a test; its own assertions decided the outcome.
            }
        }
        dir.close();
    }

    @Test
    void aSenderKilledMidMessageLeavesWholeMessagesInOrderThenAnEnd() throws Exception {
        Listener listener = track(Conduit.listen(endpoint(dir)));
        Process child = start(Sender.class, listener.endpoint().toString(), "-1", "stay");
        Connection survivor = track(accepted(listener));
        int seq = 0;
        for (; seq < 300; seq++) {
            StampedSender.assertStamped(survivor.receive(BOUND), 1, seq);
        }
        ChildJvm.kill(child);
        long killed = System.nanoTime();
        ConnectionClosedException end = drain(survivor, seq);
        assertTrue(System.nanoTime() - killed < BOUND.toNanos(), "the end took over " + BOUND_SECONDS + " s");
        assertNamesEndpoint(end, survivor);
        assertNothingLeftAfter(listener);
    }

    @Test
    void aSenderThatExitsWithoutClosingHasEveryMessageDelivered() throws Exception {
        Listener listener = track(Conduit.listen(endpoint(dir)));
        int count = 3000;
        Process child = start(Sender.class, listener.endpoint().toString(), Integer.toString(count), "halt");
        Connection survivor = track(accepted(listener));
        // What the child sent last is still on its way when it exits: it must outlive it.
        AtomicInteger received = new AtomicInteger();
        ConnectionClosedException end = drain(survivor, 0, received);
        assertEquals(count, received.get(), "messages received before the end");
        assertTrue(child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the sender ended");
        assertEquals(0, child.exitValue(), "the sender's exit status");
        assertNamesEndpoint(end, survivor);
        assertNothingLeftAfter(listener);
    }

    @Test
    void aReceiverKilledMidReadFailsTheSenderSoon() throws Exception {
        Listener listener = track(Conduit.listen(endpoint(dir)));
        Process child = start(Reader.class, listener.endpoint().toString(), "now");
        Connection survivor = track(accepted(listener));
        AtomicInteger sent = new AtomicInteger();
        CompletableFuture<Throwable> sending = CompletableFuture.supplyAsync(() -> {
            try {
                for (int i = 0; ; i++) {
                    survivor.send(StampedSender.stamped(1, i, size(i)));
                    sent.incrementAndGet();
                }
            } catch (Throwable t) {
                return t;
            }
        }, DAEMON);
        Waits.until("300 messages were sent", Duration.ofSeconds(30), () -> sent.get() >= 300 || sending.isDone());
        assertFalse(sending.isDone(), () -> "sending stopped early: " + sending.join());
        ChildJvm.kill(child);
        Throwable failure = sending.get(BOUND_SECONDS, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, failure, failure::toString);
        assertNamesEndpoint((ConnectionClosedException) failure, survivor);
        assertNothingLeftAfter(listener);
    }

    @Test
    void aPeerThatStopsReadingHoldsTheSenderBackAndLosesNothing() throws Exception {
        Listener listener = track(Conduit.listen(endpoint(dir)));
        Process child = start(Reader.class, listener.endpoint().toString(), "later");
        Connection survivor = track(accepted(listener));
        int beforeBlock = Waits.fillUntilRefused(survivor, n -> StampedSender.stamped(1, n, 16 * 1024),
                Duration.ofMillis(300), 100_000);
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
            try {
                survivor.send(StampedSender.stamped(1, beforeBlock, 16 * 1024));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, DAEMON);
        assertThrows(TimeoutException.class, () -> blocked.get(200, TimeUnit.MILLISECONDS),
                "send did not wait for a peer that stopped reading");
        OutputStream go = child.getOutputStream();
        go.write('\n');
        go.flush();
        blocked.get(BOUND_SECONDS, TimeUnit.SECONDS);
        survivor.close();
        String report = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals("received " + (beforeBlock + 1) + " then the end", report);
        assertNothingLeftAfter(listener);
    }

    @Test
    void aKilledListenerLeavesNothingThatStopsTheNextOne() throws Exception {
        String endpoint = endpoint(dir);
        Process child = start(Listen.class, endpoint);
        String bound = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertNotNull(bound, "the child listener said where it listens");
        ChildJvm.kill(child);
        IOException refused = assertThrows(IOException.class, () -> Conduit.connect(bound, Duration.ZERO));
        assertTrue(refused.getMessage().startsWith(Endpoint.parse(bound).redacted().split("\\?")[0]),
                refused.getMessage());
        // The next listener takes the place over, where the endpoint names one.
        String next = endpoint.contains(":0") ? endpoint : bound;
        Listener listener = track(Conduit.listen(next));
        try (Connection client = Conduit.connect(listener.endpoint(), BOUND);
             Connection server = accepted(listener)) {
            client.send("after");
            assertEquals("after", server.receiveString(BOUND));
        }
        assertNothingLeftAfter(listener);
    }

    /** Receives stamped messages of sender 1 from {@code first} on until the end, within the bound. */
    private static ConnectionClosedException drain(Connection survivor, int first) throws IOException {
        return drain(survivor, first, new AtomicInteger());
    }

    private static ConnectionClosedException drain(Connection survivor, int first, AtomicInteger count)
            throws IOException {
        int seq = first;
        while (true) {
            byte[] m;
            try {
                m = survivor.receive(BOUND);
            } catch (ConnectionClosedException e) {
                count.set(seq);
                return e;
            }
            assertNotNull(m, "neither a message nor the end within " + BOUND_SECONDS + " s after message " + seq);
            StampedSender.assertStamped(m, 1, seq++);
        }
    }

    private static void assertNamesEndpoint(ConnectionClosedException e, Connection survivor) {
        // The report's own words, for docs/reliability.md.
        System.out.println(StackWalker.getInstance().walk(s -> s.skip(1).findFirst().orElseThrow().getMethodName())
                + ": " + e.getMessage());
        String endpoint = survivor.endpoint().redacted().split("\\?")[0];
        assertTrue(e.getMessage().startsWith(endpoint), "'" + e.getMessage() + "' names " + endpoint);
    }

    /** Closes the listener, then checks its files and this process's rings are gone. */
    private void assertNothingLeftAfter(Listener listener) throws IOException {
        Endpoint endpoint = listener.endpoint();
        listener.close();
        for (Path file : files(endpoint)) {
            assertFalse(Files.exists(file, LinkOption.NOFOLLOW_LINKS), file + " is left behind");
        }
        Waits.until("no new conduit object is left in /dev/shm", BOUND, () -> {
            List<String> now = conduitShmObjects();
            now.removeAll(shmBefore);
            return now.isEmpty();
        });
    }

    private static List<String> conduitShmObjects() {
        try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
            return new ArrayList<>(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("conduit-") && !n.startsWith("conduit-stat-")).toList());
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }

    private static int size(int seq) {
        return seq % 10 == 0 ? (seq * 7919) % MOST_BYTES : (seq * 7919) % 3000;
    }

    private Connection accepted(Listener listener) throws IOException {
        Connection c = listener.accept(Duration.ofSeconds(30));
        if (c == null) {
            fail(listener.endpoint() + ": the child did not connect within 30 s");
        }
        return c;
    }

    private Process start(Class<?> main, String... args) throws IOException {
        Process child = ChildJvm.builder(main, args).start();
        children.add(child);
        return child;
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /**
     * Connects to {@code args[0]} and sends stamped messages of sender 1, {@code args[1]} of them
     * (-1: until killed), of up to 256 KiB; then, with {@code args[2]} = {@code halt}, exits
     * without closing.
     */
    public static final class Sender {
        public static void main(String[] args) throws IOException {
            int count = Integer.parseInt(args[1]) < 0 ? Integer.MAX_VALUE : Integer.parseInt(args[1]);
            Connection c = Conduit.connect(args[0], Duration.ofSeconds(30));
            for (int i = 0; i < count; i++) {
                c.send(StampedSender.stamped(1, i, size(i)));
            }
            if (args[2].equals("halt")) {
                Runtime.getRuntime().halt(0);
            }
            c.close();
        }
    }

    /**
     * Connects to {@code args[0]} and reads stamped messages of sender 1 until the end: at once,
     * or with {@code args[1]} = {@code later} once a line comes on standard input. Then prints
     * {@code received N then the end}.
     */
    public static final class Reader {
        public static void main(String[] args) throws IOException {
            try (Connection c = Conduit.connect(args[0], Duration.ofSeconds(30))) {
                if (args[1].equals("later")) {
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                }
                int seq = 0;
                while (true) {
                    byte[] m;
                    try {
                        m = c.receive();
                    } catch (ConnectionClosedException e) {
                        break;
                    }
                    StampedSender.assertStamped(m, 1, seq++);
                }
                System.out.println("received " + seq + " then the end");
            }
        }
    }

    /** Listens on {@code args[0]}, prints the endpoint it is bound to, and waits to be killed. */
    public static final class Listen {
        public static void main(String[] args) throws Exception {
            Listener listener = Conduit.listen(args[0]);
            System.out.println(listener.endpoint());
            System.out.flush();
            listener.accept();
            Thread.currentThread().join();
        }
    }
}
