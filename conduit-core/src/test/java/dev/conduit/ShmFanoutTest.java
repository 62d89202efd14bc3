package dev.conduit;

import dev.conduit.internal.shm.ShmTransport;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TestPeers;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code shmfan:}: one publisher, several subscribers on one ring. The one-way contract (one
 * subscriber), then what a fan-out adds: every subscriber sees every message in order, joins
 * mid-stream, throttling by the slowest, a subscriber killed with SIGKILL, the publisher's close,
 * the slot limit, and nothing left in {@code /dev/shm} or the socket directory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmFanoutTest extends OneWayContract {
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void linuxOnly() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "shm: is Linux-only");
    }

    /** @return a fresh endpoint: rings of 64 KiB, so messages of 40 KB go in pieces and a few hundred fill one */
    private static String fresh(String options) {
        return "shmfan:ft" + ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet() + "?"
                + (options.contains("size=") ? options : "size=64k" + (options.isEmpty() ? "" : "&" + options));
    }

    @Override
    protected Ends ends() throws Exception {
        String endpoint = fresh("spin=20us");
        MessageSender publisher = Conduit.openSender(endpoint);
        try {
            return new Ends(publisher, Conduit.openReceiver(endpoint));
        } catch (IOException | RuntimeException e) {
            publisher.close();
            throw e;
        }
    }

    @Override
    protected int maxFrame() {
        return 16 << 20;
    }

    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    @AfterEach
    void nothingLeftBehind() throws IOException {
        children.forEach(ChildJvm::kill);
        closeResources();
        resources.clear();
        String mine = "conduit-" + ProcessHandle.current().pid() + "-";
        try (Stream<Path> objects = Files.list(Path.of("/dev/shm"))) {
            assertEquals(List.of(), objects.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(mine))
                    .toList(), "ring objects left in /dev/shm");
        }
    }

    private MessageSender publisher(String endpoint) throws IOException {
        return track(Conduit.openSender(endpoint));
    }

    private MessageReceiver subscriber(String endpoint) throws IOException {
        return track(Conduit.openReceiver(endpoint));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 4})
    void everySubscriberReceivesEveryMessageInOrder(int subscribers) throws Exception {
        String endpoint = fresh("");
        MessageSender publisher = publisher(endpoint);
        List<CompletableFuture<Integer>> readers = new ArrayList<>();
        int count = 3000;
        for (int s = 0; s < subscribers; s++) {
            MessageReceiver r = subscriber(endpoint);
            readers.add(async(() -> readAll(r, 0, count)));
        }
        for (int i = 0; i < count; i++) {
            publisher.send(message(i, size(i)));
        }
        for (CompletableFuture<Integer> reader : readers) {
            assertEquals(count, reader.get(30, TimeUnit.SECONDS));
        }
    }

    /** @return sizes from empty to 40,000 bytes (in pieces in a 64 KiB ring) */
    private static int size(int i) {
        return i % 97 == 0 ? 40_000 : i % 13;
    }

    /** Receives messages {@code from} to {@code to - 1}, checking each; @return how many */
    private static int readAll(MessageReceiver r, int from, int to) {
        try {
            for (int i = from; i < to; i++) {
                assertArrayEquals(message(i, size(i)), r.receive(WAIT), "message " + i);
            }
            return to - from;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @return a thread that publishes messages 0 to {@code count - 1}, once it waits for room:
     *         a subscriber that does not read holds it back
     */
    private static Thread sendingUntilHeldBack(MessageSender publisher, int count) {
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    publisher.send(message(i, size(i)));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Waits.until("the publisher to wait for room", WAIT,
                () -> Waits.isIn(sender, "dev.conduit.internal.shm.ShmConnection", "awaitRoom"));
        return sender;
    }

    @Test
    void aSubscriberJoiningMidStreamSeesWhatIsPublishedAfter() throws Exception {
        String endpoint = fresh("");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver early = subscriber(endpoint);
        CompletableFuture<Integer> earlyReader = async(() -> readAll(early, 0, 200));
        for (int i = 0; i < 100; i++) {
            publisher.send(message(i, size(i)));
        }
        MessageReceiver late = subscriber(endpoint);
        CompletableFuture<Integer> lateReader = async(() -> readAll(late, 100, 200));
        for (int i = 100; i < 200; i++) {
            publisher.send(message(i, size(i)));
        }
        assertEquals(200, earlyReader.get(30, TimeUnit.SECONDS));
        assertEquals(100, lateReader.get(30, TimeUnit.SECONDS));
        assertEquals(null, late.tryReceive());
    }

    @Test
    void aSubscriberJoiningInTheMiddleOfAMessageStartsAtTheNext() throws Exception {
        String endpoint = fresh("size=4k");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver first = subscriber(endpoint);
        // Message 0 is 40,000 bytes, in pieces: the publisher waits for room in its middle.
        Thread sender = sendingUntilHeldBack(publisher, 2);
        MessageReceiver late = subscriber(endpoint);
        CompletableFuture<Integer> lateReader = async(() -> readAll(late, 1, 2));
        assertEquals(2, readAll(first, 0, 2));
        sender.join();
        assertEquals(1, lateReader.get(30, TimeUnit.SECONDS));
        assertEquals(null, late.tryReceive());
    }

    @Test
    void theSlowestSubscriberThrottlesThePublisherAndNothingIsLost() throws Exception {
        String endpoint = fresh("size=4k");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver fast = subscriber(endpoint);
        MessageReceiver slow = subscriber(endpoint);
        CompletableFuture<Integer> fastReader = async(() -> readAll(fast, 0, 500));
        Thread sender = sendingUntilHeldBack(publisher, 500);
        assertFalse(publisher.trySend(new byte[100]), "trySend into a ring the slow subscriber fills");
        for (int i = 0; i < 500; i++) {
            assertArrayEquals(message(i, size(i)), slow.receive(WAIT), "message " + i);
        }
        sender.join();
        assertEquals(500, fastReader.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aKilledSubscriberFreesItsSlotAndTheOthersGoOn() throws Exception {
        String endpoint = fresh("size=4k&subscribers=2");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver live = subscriber(endpoint);
        Process child = ChildJvm.builder(TestPeers.class, "receive-hold", endpoint).start();
        children.add(child);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
        }
        IOException full = assertThrows(IOException.class, () -> Conduit.openReceiver(endpoint));
        assertTrue(full.getMessage().contains("all 2 subscriber slots"), full.getMessage());
        CompletableFuture<Integer> reader = async(() -> readAll(live, 0, 1000));
        Thread sender = sendingUntilHeldBack(publisher, 1000);
        ChildJvm.kill(child);
        sender.join();
        assertEquals(1000, reader.join());
        // Its slot is free again: a new subscriber takes it.
        MessageReceiver again = subscriber(endpoint);
        publisher.send("after");
        assertEquals("after", again.receiveString(WAIT));
    }

    @Test
    void thePublishersCloseEndsEverySubscriberClearly() throws Exception {
        String endpoint = fresh("");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver a = subscriber(endpoint);
        MessageReceiver b = subscriber(endpoint);
        for (int i = 0; i < 10; i++) {
            publisher.write(message(i, size(i)));
        }
        publisher.close();
        for (MessageReceiver r : List.of(a, b)) {
            assertEquals(10, readAll(r, 0, 10));
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> r.receive(WAIT));
            assertTrue(e.getMessage().startsWith("shmfan:") && e.getMessage().contains("receive"), e.getMessage());
        }
        assertFalse(Files.exists(ShmTransport.socketPath(Endpoint.parse(endpoint))), "handshake socket left");
    }

    @Test
    void aKilledPublishersObjectIsRemovedByItsSubscriber() throws Exception {
        String endpoint = fresh("");
        Process child = ChildJvm.builder(TestPeers.class, "send-hold", endpoint).start();
        children.add(child);
        Path socket = ShmTransport.socketPath(Endpoint.parse(endpoint));
        Waits.until("the publisher's socket", WAIT, () -> Files.exists(socket));
        MessageReceiver r = subscriber(endpoint);
        String theirs = "conduit-" + child.pid() + "-";
        assertEquals(1, objectsStartingWith(theirs));
        ChildJvm.kill(child);
        assertThrows(ConnectionClosedException.class, () -> r.receive(WAIT));
        r.close();
        assertEquals(0, objectsStartingWith(theirs));
        Files.deleteIfExists(socket);
    }

    private static long objectsStartingWith(String prefix) throws IOException {
        try (Stream<Path> objects = Files.list(Path.of("/dev/shm"))) {
            return objects.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        }
    }

    @Test
    void aSubscriberOnlyReceivesAndThePublisherOnlySends() throws Exception {
        String endpoint = fresh("");
        MessageSender publisher = publisher(endpoint);
        MessageReceiver r = subscriber(endpoint);
        assertThrows(UnsupportedOperationException.class, () -> ((MessageSender) r).send("x"));
        assertThrows(UnsupportedOperationException.class, () -> ((MessageReceiver) publisher).tryReceive());
        assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(endpoint + "&subscribers=0"));
        assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:x?subscribers=2"));
        IOException none = assertThrows(IOException.class, () -> Conduit.openReceiver(fresh("")));
        assertTrue(none.getMessage().startsWith("shmfan:"), none.getMessage());
    }
}
