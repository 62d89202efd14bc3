package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.StampedSender;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32;

import static dev.conduit.testing.StampedSender.assertStamped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every channel of messages must do in the direction it carries them: what arrives, in
 * what order, with what limits, and how closing and waiting behave. One-way transports
 * ({@code fifo:}, {@code mq:}, {@code log:}) extend it directly; {@link TransportContract} adds
 * what two-way connections must do. A subclass provides the two ends and says which of the
 * optional behaviours its transport has.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class OneWayContract {
    /** Ends, connections and other resources to close after each test, whatever happened. */
    protected final List<AutoCloseable> resources = new ArrayList<>();

    /** A sending end and the receiving end of the same channel. */
    protected record Ends(MessageSender sender, MessageReceiver receiver) {
    }

    /** @return fresh ends of one channel, nothing sent yet */
    protected abstract Ends ends() throws Exception;

    /**
     * @return the endpoint of a fresh channel, which other processes can open too; {@code null}
     *         (the default) if the transport's ends cannot be named so
     */
    protected String freshEndpoint() throws Exception {
        return null;
    }

    /** @return the receiving end on {@code endpoint}, positioned to see every message sent after this */
    protected MessageReceiver openReceiver(String endpoint) throws IOException {
        return Conduit.openReceiver(endpoint);
    }

    /** @return a receiver on {@code endpoint}, then a sender */
    protected final Ends endsOn(String endpoint) throws IOException {
        MessageReceiver receiver = openReceiver(endpoint);
        try {
            return new Ends(Conduit.openSender(endpoint), receiver);
        } catch (IOException | RuntimeException e) {
            receiver.close();
            throw e;
        }
    }

    /**
     * @return the longest message that senders in several processes may send at once without
     *         interleaving; {@code maxFrame} unless the transport says less
     */
    protected int longestMessageFromManyProcesses() {
        return maxFrame();
    }

    /** @return the {@code maxFrame} that {@link #ends()} sets on both ends */
    protected abstract int maxFrame();

    /**
     * @return whether steady-state {@code send}, {@code write}, {@code flush} and {@code poll}
     *         allocate nothing here; transports that queue copies of messages do
     */
    protected boolean allocatesNothingPerMessage() {
        return false;
    }

    /**
     * @return whether the receiver sees {@link ConnectionClosedException} once the (only)
     *         sender has closed and its messages are taken; a queue or a log outlives its
     *         senders, and its receiver just finds it empty
     */
    protected boolean senderCloseEndsTheStream() {
        return true;
    }

    /** @return whether a receiver that does not read makes {@code send} block, and {@code trySend} fail */
    protected boolean fullReceiverBlocksSend() {
        return true;
    }

    /** Records a resource so it is closed after the test. */
    protected final <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @AfterEach
    void closeResources() {
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception e) {
                // Cleaning up after a test; its own assertions decided the outcome.
            }
        }
    }

    private Ends trackedEnds() throws Exception {
        Ends ends = ends();
        track(ends.sender());
        track(ends.receiver());
        return ends;
    }

    protected static byte[] message(int seq, int size) {
        byte[] m = new byte[size];
        long x = seq * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            m[i] = (byte) x;
        }
        if (size >= 4) {
            ByteBuffer.wrap(m).putInt(0, seq);
        }
        return m;
    }

    @Test
    void carriesEmptyMessagesAndAnyBytes() throws Exception {
        Ends ends = trackedEnds();
        byte[] binary = {0, '\n', '\r', (byte) 0xFF, 0, 0, 0, 4};
        ends.sender().send(new byte[0]);
        ends.sender().send(binary);
        ends.sender().send("héllo ✓");
        ends.sender().send(ByteBuffer.wrap(binary, 1, 3));
        ByteBuffer sliced = ByteBuffer.wrap(binary, 2, 5).slice().position(1).limit(3);
        ends.sender().send(sliced);
        assertEquals(1, sliced.position(), "send moved the buffer's position");
        assertArrayEquals(new byte[0], ends.receiver().receive());
        assertArrayEquals(binary, ends.receiver().receive());
        assertEquals("héllo ✓", ends.receiver().receiveString());
        assertArrayEquals(new byte[] {'\n', '\r', (byte) 0xFF}, ends.receiver().receive());
        assertArrayEquals(new byte[] {(byte) 0xFF, 0}, ends.receiver().receive());
    }

    @Test
    void carriesALongMessageFromTheMiddleOfAnArray() throws Exception {
        Ends ends = trackedEnds();
        int length = Math.min(maxFrame(), 200_000);
        byte[] around = message(3, length + 10);
        CompletableFuture<Void> sent = async(() -> {
            ends.sender().send(ByteBuffer.wrap(around, 3, length + 5).slice().position(4).limit(length + 4));
            ends.sender().send("after");
        });
        assertArrayEquals(Arrays.copyOfRange(around, 7, 7 + length), ends.receiver().receive(Duration.ofSeconds(20)));
        assertEquals("after", ends.receiver().receiveString(Duration.ofSeconds(10)));
        sent.get(10, TimeUnit.SECONDS);
    }

    @Test
    void steadyStateSendAndPollAllocateNothing() throws Exception {
        Assumptions.assumeTrue(allocatesNothingPerMessage(), "this transport queues a copy of each message");
        Ends ends = trackedEnds();
        byte[] payload = message(3, 1024);
        int[] received = new int[1];
        MessageHandler handler = view -> received[0] += view.remaining();
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        Duration wait = Duration.ofSeconds(10);
        // Reflection, as the tests are compiled into module dev.conduit, which reads no management module.
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        // Until the JIT has compiled the loop, the JDK's own downcall and buffer code allocates:
        // the first round warms up, and one of the next four must allocate nothing.
        List<Long> perRound = new ArrayList<>();
        for (int round = 0; round < 5 && (round < 2 || perRound.getLast() >= 4096); round++) {
            long before = (long) allocated.invoke(threads);
            for (int i = 0; i < 20_000; i++) {
                ends.sender().send(payload);
                ends.sender().write(direct);
                ends.sender().flush();
                int handled = ends.receiver().poll(handler, 2);
                while (handled < 2) {
                    handled += ends.receiver().poll(handler, 2 - handled, wait);
                }
            }
            perRound.add((long) allocated.invoke(threads) - before);
        }
        assertTrue(perRound.getLast() < 4096, "rounds of 20,000 sends, writes, flushes and polls allocated "
                + perRound + " bytes");
        assertEquals(perRound.size() * 20_000 * (1024 + 64), received[0]);
    }

    @Test
    void carriesMessagesUpToTheMaximum() throws Exception {
        Ends ends = trackedEnds();
        byte[] big = message(7, maxFrame());
        CompletableFuture<Void> sent = async(() -> {
            try {
                ends.sender().send(big);
                ends.sender().send("after");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertArrayEquals(big, ends.receiver().receive());
        assertEquals("after", ends.receiver().receiveString());
        sent.get(30, TimeUnit.SECONDS);
    }

    @Test
    void refusesToSendMoreThanTheMaximumAndStaysUsable() throws Exception {
        Ends ends = trackedEnds();
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> ends.sender().send(new byte[maxFrame() + 1]));
        assertEquals(maxFrame() + 1L, e.length());
        assertEquals(maxFrame(), e.maximum());
        assertTrue(e.getMessage().contains("frame length " + (maxFrame() + 1) + " exceeds maxFrame " + maxFrame()),
                e.getMessage());
        ends.sender().send("still fine");
        assertEquals("still fine", ends.receiver().receiveString());
    }

    @Test
    void emptyIsNotClosed() throws Exception {
        Ends ends = trackedEnds();
        assertNull(ends.receiver().tryReceive());
        assertNull(ends.receiver().receive(Duration.ofMillis(50)));
        assertEquals(0, ends.receiver().poll(m -> fail("no message expected"), 10));
        ends.sender().send("x");
        byte[] got = ends.receiver().receive(Duration.ofSeconds(10));
        assertEquals("x", new String(got, StandardCharsets.UTF_8));
        assertNull(ends.receiver().tryReceive());
    }

    @Test
    void tryReceiveAndPollReturnWhatHasArrived() throws Exception {
        Ends ends = trackedEnds();
        for (int i = 0; i < 5; i++) {
            ends.sender().send(message(i, 16));
        }
        assertArrayEquals(message(0, 16), ends.receiver().receive(Duration.ofSeconds(10)));
        List<byte[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < 4 && System.nanoTime() < deadline) {
            ends.receiver().poll(view -> {
                assertTrue(view.isReadOnly());
                byte[] copy = new byte[view.remaining()];
                view.get(copy);
                got.add(copy);
            }, 3);
        }
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(message(i + 1, 16), got.get(i));
        }
        assertThrows(IllegalArgumentException.class, () -> ends.receiver().poll(m -> { }, 0));
    }

    @Test
    void pollWithATimeOutWaitsForTheFirstMessageOnly() throws Exception {
        Ends ends = trackedEnds();
        assertEquals(0, ends.receiver().poll(m -> fail("no message expected"), 10, Duration.ofMillis(50)));
        List<String> got = new ArrayList<>();
        CompletableFuture<Integer> polled = CompletableFuture.supplyAsync(() -> {
            try {
                return ends.receiver().poll(view -> got.add(StandardCharsets.UTF_8.decode(view).toString()), 10,
                        Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ends.sender().send("first");
        assertEquals(1, polled.get(30, TimeUnit.SECONDS));
        assertEquals(List.of("first"), got);
        ends.sender().close();
        if (senderCloseEndsTheStream()) {
            assertThrows(ConnectionClosedException.class,
                    () -> ends.receiver().poll(m -> fail("nothing was left"), 10, Duration.ofSeconds(10)));
        }
    }

    @Test
    void peerCloseDeliversEverythingSentThenClosed() throws Exception {
        Assumptions.assumeTrue(senderCloseEndsTheStream(), "the stream outlives its senders");
        Ends ends = trackedEnds();
        for (int i = 0; i < 100; i++) {
            ends.sender().send(message(i, 100));
        }
        ends.sender().close();
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(message(i, 100), ends.receiver().receive(), "message " + i);
        }
        assertThrows(ConnectionClosedException.class, ends.receiver()::receive);
        assertThrows(ConnectionClosedException.class, ends.receiver()::tryReceive);
        assertThrows(ConnectionClosedException.class, () -> ends.receiver().receive(Duration.ofMillis(10)));
        assertThrows(ConnectionClosedException.class, () -> ends.receiver().poll(m -> { }, 1));
    }

    @Test
    void concurrentSendersNeverInterleave() throws Exception {
        assertConcurrentSendingKeepsFramesWhole((c, id, i) -> c.send(stamped(id, i, 10 + (i * 37 + id) % 3000)),
                c -> { });
    }

    private static byte[] stamped(int id, int seq, int size) {
        ByteBuffer b = ByteBuffer.allocate(16 + size);
        b.putInt(id).putInt(seq).putLong(0);
        b.put(message(seq * 31 + id, size));
        CRC32 crc = new CRC32();
        crc.update(b.array(), 16, size);
        b.putLong(8, crc.getValue());
        return b.array();
    }

    @Test
    void fullPeerBlocksSendAndDropsNothing() throws Exception {
        Assumptions.assumeTrue(fullReceiverBlocksSend(), "nothing between the ends fills up");
        Ends ends = trackedEnds();
        byte[] chunk = new byte[Math.min(16 * 1024, maxFrame())];
        int sentBeforeBlock = Waits.fillUntilRefused(ends.sender(), n -> message(n, chunk.length),
                Duration.ofMillis(300), 100_000);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> blocked = async(() -> {
            try {
                started.countDown();
                ends.sender().send(message(sentBeforeBlock, chunk.length));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        started.await();
        assertFalse(awaitDone(blocked, Duration.ofMillis(200)), "send did not block on a full peer");
        for (int i = 0; i <= sentBeforeBlock; i++) {
            assertArrayEquals(message(i, chunk.length), ends.receiver().receive(), "message " + i);
        }
        blocked.get(10, TimeUnit.SECONDS);
        assertNull(ends.receiver().receive(Duration.ofMillis(50)));
    }

    @Test
    void onMessageDeliversThenReportsThePeerCloseOnce() throws Exception {
        Assumptions.assumeTrue(senderCloseEndsTheStream(), "the stream outlives its senders");
        Ends ends = trackedEnds();
        List<String> got = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        Thread loop = ends.receiver().onMessage(view -> {
            synchronized (got) {
                got.add(StandardCharsets.UTF_8.decode(view).toString());
            }
        }, e -> {
            synchronized (errors) {
                errors.add(e);
            }
        });
        assertThrows(IllegalStateException.class, ends.receiver()::tryReceive);
        assertThrows(IllegalStateException.class, () -> ends.receiver().onMessage(m -> { }, e -> { }));
        for (int i = 0; i < 50; i++) {
            ends.sender().send("m" + i);
        }
        ends.sender().close();
        assertTrue(loop.join(Duration.ofSeconds(10)), "loop did not end");
        assertEquals(50, got.size());
        assertEquals("m49", got.getLast());
        assertEquals(1, errors.size());
        assertInstanceOf(ConnectionClosedException.class, errors.getFirst());
    }

    @Test
    void onMessageEndsSilentlyOnLocalClose() throws Exception {
        Ends ends = trackedEnds();
        AtomicInteger errors = new AtomicInteger();
        Thread loop = ends.receiver().onMessage(view -> { }, e -> errors.incrementAndGet());
        ends.receiver().close();
        assertTrue(loop.join(Duration.ofSeconds(10)), "loop did not end");
        assertEquals(0, errors.get());
    }

    @Test
    void writtenMessagesArriveInOrderWithSendsAndAfterFlush() throws Exception {
        Ends ends = trackedEnds();
        ends.sender().write(message(0, 10));
        ends.sender().write(ByteBuffer.wrap(message(1, 20)).asReadOnlyBuffer());
        ends.sender().send(message(2, 30));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(message(i, 10 * (i + 1)), ends.receiver().receive(Duration.ofSeconds(10)),
                    "a send delivers what was written before it: message " + i);
        }
        ends.sender().write("three");
        ends.sender().write(MemorySegment.ofArray(message(4, 0)));
        ends.sender().write(ByteBuffer.allocateDirect(5).put(0, (byte) 5));
        assertTrue(ends.sender().trySend(message(6, 7)), "trySend on an idle connection");
        ends.sender().write(message(7, 8));
        ends.sender().flush();
        ends.sender().flush();
        assertEquals("three", ends.receiver().receiveString(Duration.ofSeconds(10)));
        assertArrayEquals(new byte[0], ends.receiver().receive(Duration.ofSeconds(10)));
        assertArrayEquals(new byte[] {5, 0, 0, 0, 0}, ends.receiver().receive(Duration.ofSeconds(10)));
        assertArrayEquals(message(6, 7), ends.receiver().receive(Duration.ofSeconds(10)));
        assertArrayEquals(message(7, 8), ends.receiver().receive(Duration.ofSeconds(10)));
        assertNull(ends.receiver().receive(Duration.ofMillis(50)));
    }

    @Test
    void writeTakesMessagesLargerThanAnyBuffer() throws Exception {
        Ends ends = trackedEnds();
        byte[] big = message(1, maxFrame());
        int large = Math.min(100_000, maxFrame());
        CompletableFuture<Void> written = async(() -> {
            ends.sender().write(message(0, 100));
            ends.sender().write(big);
            ends.sender().write(message(2, large));
            ends.sender().write(message(3, 1));
            ends.sender().flush();
        });
        assertArrayEquals(message(0, 100), ends.receiver().receive(Duration.ofSeconds(30)));
        assertArrayEquals(big, ends.receiver().receive(Duration.ofSeconds(30)));
        assertArrayEquals(message(2, large), ends.receiver().receive(Duration.ofSeconds(30)));
        assertArrayEquals(message(3, 1), ends.receiver().receive(Duration.ofSeconds(30)));
        written.get(30, TimeUnit.SECONDS);
    }

    @Test
    void concurrentWritersNeverInterleave() throws Exception {
        assertConcurrentSendingKeepsFramesWhole((c, id, i) -> {
            byte[] m = stamped(id, i, 10 + (i * 53 + id) % 5000);
            if (id == 0) {
                c.send(m);
            } else {
                c.write(m);
                if (i % (id * 7) == 0) {
                    c.flush();
                }
            }
        }, MessageSender::flush);
    }

    /** How one sending thread sends its {@code i}-th message. */
    @FunctionalInterface
    private interface SendStep {
        void send(MessageSender sender, int thread, int i) throws Exception;
    }

    /** What a sending thread does after its last message. */
    @FunctionalInterface
    private interface Finish {
        void finish(MessageSender sender) throws Exception;
    }

    /**
     * Four threads send 500 stamped messages each through {@code step}; the receiver checks that
     * every message is whole (checksum) and that each thread's messages arrive in its order.
     */
    private void assertConcurrentSendingKeepsFramesWhole(SendStep step, Finish finish) throws Exception {
        Ends ends = trackedEnds();
        int threads = 4;
        int perThread = 500;
        List<Thread> senders = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        step.send(ends.sender(), id, i);
                    }
                    finish.finish(ends.sender());
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        int[] next = new int[threads];
        for (int n = 0; n < threads * perThread; n++) {
            byte[] received = ends.receiver().receive(Duration.ofSeconds(30));
            assertTrue(received != null, "message " + n + " did not arrive; sender failure: " + failure.get());
            ByteBuffer m = ByteBuffer.wrap(received);
            int id = m.getInt();
            int seq = m.getInt();
            long crc = m.getLong();
            CRC32 check = new CRC32();
            check.update(m);
            assertEquals(crc, check.getValue(), "checksum of thread " + id + " message " + seq);
            assertEquals(next[id]++, seq, "order of thread " + id);
        }
        for (Thread s : senders) {
            s.join();
        }
        assertNull(failure.get());
    }

    @Test
    void sendersInTwoProcessesNeverInterleave() throws Exception {
        String endpoint = freshEndpoint();
        Assumptions.assumeTrue(endpoint != null, "the ends cannot be opened by another process");
        MessageReceiver receiver = track(openReceiver(endpoint));
        // Held open until both children are done, so that one finishing first is not the end.
        MessageSender keeper = track(Conduit.openSender(endpoint));
        String most = String.valueOf(Math.min(8000, longestMessageFromManyProcesses()) - 16);
        List<Process> children = List.of(ChildJvm.builder(StampedSender.class, endpoint, "1", "2000", most).start(),
                ChildJvm.builder(StampedSender.class, endpoint, "2", "2000", most).start());
        try {
            int[] next = new int[3];
            for (int n = 0; n < 4000; n++) {
                byte[] m = receiver.receive(Duration.ofSeconds(30));
                assertTrue(m != null, "message " + n + " did not arrive");
                int id = ByteBuffer.wrap(m).getInt();
                assertStamped(m, id, next[id]++);
            }
            for (Process child : children) {
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, child.exitValue());
            }
            assertNull(receiver.tryReceive());
            keeper.close();
            if (senderCloseEndsTheStream()) {
                assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(30)));
            }
        } finally {
            children.forEach(ChildJvm::kill);
        }
    }

    @Test
    void closeFlushesWrittenMessages() throws Exception {
        Ends ends = trackedEnds();
        // 15,000 bytes in all: they fit in the smallest channel, a System V queue of 16 KiB.
        for (int i = 0; i < 100; i++) {
            ends.sender().write(message(i, 1 + i * 3));
        }
        ends.sender().close();
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(message(i, 1 + i * 3), ends.receiver().receive(Duration.ofSeconds(10)), "message " + i);
        }
        if (senderCloseEndsTheStream()) {
            assertThrows(ConnectionClosedException.class, () -> ends.receiver().receive(Duration.ofSeconds(10)));
        }
    }

    @Test
    void writeAndFlushFollowTheRulesOfSend() throws Exception {
        Ends ends = trackedEnds();
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> ends.sender().write(new byte[maxFrame() + 1]));
        assertTrue(e.getMessage().endsWith(": write: frame length " + (maxFrame() + 1) + " exceeds maxFrame "
                + maxFrame()), e.getMessage());
        ends.sender().flush();
        assertNull(ends.receiver().receive(Duration.ofMillis(50)), "a refused write sent something");
        ends.sender().close();
        ConnectionClosedException w = assertThrows(ConnectionClosedException.class, () -> ends.sender().write("x"));
        assertTrue(w.getMessage().endsWith(": write: connection closed locally"), w.getMessage());
        ConnectionClosedException f = assertThrows(ConnectionClosedException.class, ends.sender()::flush);
        assertTrue(f.getMessage().endsWith(": flush: connection closed locally"), f.getMessage());
    }

    /** A task that may block, on its own thread (the common pool has one thread on two cores). */
    @FunctionalInterface
    protected interface Task<T> {
        T run() throws Exception;
    }

    /** A task without a result. */
    @FunctionalInterface
    protected interface VoidTask {
        void run() throws Exception;
    }

    /** @return the task's outcome, run on a new daemon thread */
    protected static <T> CompletableFuture<T> async(Task<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                future.complete(task.run());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    /** @return the task's completion, run on a new daemon thread */
    protected static CompletableFuture<Void> async(VoidTask task) {
        return async(() -> {
            task.run();
            return null;
        });
    }

    /** @return what the blocking task throws (null if it returns), run on a new daemon thread */
    protected static CompletableFuture<Throwable> failureOf(VoidTask task) {
        return async(() -> {
            try {
                task.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
    }

    /** @return whether the future completed within {@code wait} */
    protected static boolean awaitDone(CompletableFuture<?> future, Duration wait) {
        try {
            future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    @Test
    void closingTheReceiverEndsABlockedReceiveAndIsIdempotent() throws Exception {
        Ends ends = trackedEnds();
        CompletableFuture<Throwable> blocked = failureOf(ends.receiver()::receive);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "receive returned without a message");
        ends.receiver().close();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, t);
        assertTrue(t.getMessage().contains("closed locally"), t.getMessage());
        ends.receiver().close();
        assertThrows(ConnectionClosedException.class, ends.receiver()::tryReceive);
        assertThrows(ConnectionClosedException.class, () -> ends.receiver().poll(m -> { }, 1));
    }

    @Test
    void aClosedSenderRefusesToSend() throws Exception {
        Ends ends = trackedEnds();
        ends.sender().close();
        ends.sender().close();
        ConnectionClosedException c = assertThrows(ConnectionClosedException.class, () -> ends.sender().send("x"));
        assertTrue(c.getMessage().endsWith(": send: connection closed locally"), c.getMessage());
        assertThrows(ConnectionClosedException.class, () -> ends.sender().trySend("x"));
    }
}
