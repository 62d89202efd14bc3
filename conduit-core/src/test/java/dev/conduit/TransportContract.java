package dev.conduit;

import dev.conduit.testing.ChildJvm;
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
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The behaviour every transport must have. A subclass provides connected pairs and, where
 * the transport crosses processes, a peer in a child JVM that the test can kill with SIGKILL.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TransportContract {
    /** Connections and processes to close after each test, whatever happened. */
    protected final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();

    /** @return a connected pair: [0] the client, [1] the server (or the other end) */
    protected abstract Connection[] pair() throws Exception;

    /** @return the {@code maxFrame} that {@link #pair()} sets on both ends */
    protected abstract int maxFrame();

    /**
     * A peer in another process, connected, that will neither read nor close.
     *
     * @return the survivor's end of the connection, after the peer said {@code ready}
     */
    protected abstract Connection killablePeer() throws Exception;

    /** @return the process behind the last {@link #killablePeer()} */
    protected final Process lastChild() {
        return children.getLast();
    }

    /**
     * @return whether steady-state {@code send}, {@code write}, {@code flush} and {@code poll}
     *         allocate nothing here; transports that queue copies of messages do
     */
    protected boolean allocatesNothingPerMessage() {
        return false;
    }

    /** Records a child so it is killed after the test. */
    protected final Process track(Process child) {
        children.add(child);
        return child;
    }

    /** Records a resource so it is closed after the test. */
    protected final <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    @AfterEach
    void cleanUp() {
        children.forEach(ChildJvm::kill);
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception e) {
                // Cleaning up after a test; its own assertions decided the outcome.
            }
        }
    }

    private Connection[] trackedPair() throws Exception {
        Connection[] p = pair();
        track(p[0]);
        track(p[1]);
        return p;
    }

    static byte[] message(int seq, int size) {
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
    void deliversMessagesInOrderBothWays() throws Exception {
        Connection[] p = trackedPair();
        int count = 2000;
        CompletableFuture<Void> sender = async(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    p[0].send(message(i, 1 + i % 300));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<Integer> echoes = async(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    assertArrayEquals(message(i, 1 + i % 300), p[0].receive(), "echo " + i);
                }
                return count;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        for (int i = 0; i < count; i++) {
            byte[] m = p[1].receive();
            assertArrayEquals(message(i, 1 + i % 300), m, "message " + i);
            p[1].send(m);
        }
        sender.get(30, TimeUnit.SECONDS);
        assertEquals(count, echoes.get(30, TimeUnit.SECONDS));
    }

    @Test
    void carriesEmptyMessagesAndAnyBytes() throws Exception {
        Connection[] p = trackedPair();
        byte[] binary = {0, '\n', '\r', (byte) 0xFF, 0, 0, 0, 4};
        p[0].send(new byte[0]);
        p[0].send(binary);
        p[0].send("héllo ✓");
        p[0].send(ByteBuffer.wrap(binary, 1, 3));
        ByteBuffer sliced = ByteBuffer.wrap(binary, 2, 5).slice().position(1).limit(3);
        p[0].send(sliced);
        assertEquals(1, sliced.position(), "send moved the buffer's position");
        assertArrayEquals(new byte[0], p[1].receive());
        assertArrayEquals(binary, p[1].receive());
        assertEquals("héllo ✓", p[1].receiveString());
        assertArrayEquals(new byte[] {'\n', '\r', (byte) 0xFF}, p[1].receive());
        assertArrayEquals(new byte[] {(byte) 0xFF, 0}, p[1].receive());
    }

    @Test
    void carriesALongMessageFromTheMiddleOfAnArray() throws Exception {
        Connection[] p = trackedPair();
        int length = Math.min(maxFrame(), 200_000);
        byte[] around = message(3, length + 10);
        CompletableFuture<Void> sent = async(() -> {
            p[0].send(ByteBuffer.wrap(around, 3, length + 5).slice().position(4).limit(length + 4));
            p[0].send("after");
        });
        assertArrayEquals(Arrays.copyOfRange(around, 7, 7 + length), p[1].receive(Duration.ofSeconds(20)));
        assertEquals("after", p[1].receiveString(Duration.ofSeconds(10)));
        sent.get(10, TimeUnit.SECONDS);
    }

    @Test
    void steadyStateSendAndPollAllocateNothing() throws Exception {
        Assumptions.assumeTrue(allocatesNothingPerMessage(), "this transport queues a copy of each message");
        Connection[] p = trackedPair();
        byte[] payload = message(3, 1024);
        int[] received = new int[1];
        MessageHandler handler = view -> received[0] += view.remaining();
        ByteBuffer direct = ByteBuffer.allocateDirect(64);
        // Reflection, as the tests are compiled into module dev.conduit, which reads no management module.
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes");
        for (int round = 0; round < 2; round++) {
            long before = (long) allocated.invoke(threads);
            for (int i = 0; i < 20_000; i++) {
                p[0].send(payload);
                p[0].write(direct);
                p[0].flush();
                int handled = 0;
                while (handled < 2) {
                    handled += p[1].poll(handler, 2);
                }
            }
            long bytes = (long) allocated.invoke(threads) - before;
            if (round == 1) {
                assertTrue(bytes < 4096, "20,000 rounds of send, write, flush and poll allocated " + bytes + " bytes");
            }
        }
        assertEquals(2 * 20_000 * (1024 + 64), received[0]);
    }

    @Test
    void carriesMessagesUpToTheMaximum() throws Exception {
        Connection[] p = trackedPair();
        byte[] big = message(7, maxFrame());
        CompletableFuture<Void> sent = async(() -> {
            try {
                p[0].send(big);
                p[0].send("after");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertArrayEquals(big, p[1].receive());
        assertEquals("after", p[1].receiveString());
        sent.get(30, TimeUnit.SECONDS);
    }

    @Test
    void refusesToSendMoreThanTheMaximumAndStaysUsable() throws Exception {
        Connection[] p = trackedPair();
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> p[0].send(new byte[maxFrame() + 1]));
        assertEquals(maxFrame() + 1L, e.length());
        assertEquals(maxFrame(), e.maximum());
        assertTrue(e.getMessage().contains("frame length " + (maxFrame() + 1) + " exceeds maxFrame " + maxFrame()),
                e.getMessage());
        p[0].send("still fine");
        assertEquals("still fine", p[1].receiveString());
    }

    @Test
    void emptyIsNotClosed() throws Exception {
        Connection[] p = trackedPair();
        assertNull(p[1].tryReceive());
        assertNull(p[1].receive(Duration.ofMillis(50)));
        assertEquals(0, p[1].poll(m -> fail("no message expected"), 10));
        p[0].send("x");
        byte[] got = p[1].receive(Duration.ofSeconds(10));
        assertEquals("x", new String(got, StandardCharsets.UTF_8));
        assertNull(p[1].tryReceive());
        assertTrue(p[1].isOpen());
    }

    @Test
    void tryReceiveAndPollReturnWhatHasArrived() throws Exception {
        Connection[] p = trackedPair();
        for (int i = 0; i < 5; i++) {
            p[0].send(message(i, 16));
        }
        assertArrayEquals(message(0, 16), p[1].receive(Duration.ofSeconds(10)));
        List<byte[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < 4 && System.nanoTime() < deadline) {
            p[1].poll(view -> {
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
        assertThrows(IllegalArgumentException.class, () -> p[1].poll(m -> { }, 0));
    }

    @Test
    void peerCloseDeliversEverythingSentThenClosed() throws Exception {
        Connection[] p = trackedPair();
        for (int i = 0; i < 100; i++) {
            p[0].send(message(i, 100));
        }
        p[0].close();
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(message(i, 100), p[1].receive(), "message " + i);
        }
        assertTrue(p[1].isOpen(), "open until the close is seen");
        assertThrows(ConnectionClosedException.class, p[1]::receive);
        assertFalse(p[1].isOpen(), "still open after the peer's close was seen");
        assertThrows(ConnectionClosedException.class, p[1]::tryReceive);
        assertThrows(ConnectionClosedException.class, () -> p[1].receive(Duration.ofMillis(10)));
        assertThrows(ConnectionClosedException.class, () -> p[1].poll(m -> { }, 1));
    }

    @Test
    void sendingToAClosedPeerFails() throws Exception {
        Connection[] p = trackedPair();
        p[1].close();
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                p[0].send(new byte[1024]);
            }
        });
        assertTrue(e.getMessage().startsWith(p[0].endpoint().toString().split("\\?")[0])
                || e.getMessage().startsWith("spawn:"), e.getMessage());
    }

    @Test
    void closingLocallyEndsBlockedCallsAndIsIdempotent() throws Exception {
        Connection[] p = trackedPair();
        CompletableFuture<Throwable> blocked = failureOf(p[1]::receive);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "receive returned without a message");
        p[1].close();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, t);
        assertTrue(t.getMessage().contains("closed locally"), t.getMessage());
        p[1].close();
        assertFalse(p[1].isOpen());
        assertThrows(ConnectionClosedException.class, () -> p[1].send("x"));
        assertThrows(ConnectionClosedException.class, p[1]::tryReceive);
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
        Connection[] p = trackedPair();
        byte[] chunk = new byte[16 * 1024];
        int accepted = 0;
        // Buffers between the ends (pumps, relays) may still be moving data when trySend first
        // says full: fill until it has refused for 300 ms straight.
        long refusedSince = 0;
        while (refusedSince == 0 || System.nanoTime() - refusedSince < TimeUnit.MILLISECONDS.toNanos(300)) {
            if (p[0].trySend(message(accepted, chunk.length))) {
                accepted++;
                refusedSince = 0;
                assertTrue(accepted < 100_000, "trySend never reported a full peer");
            } else if (refusedSince == 0) {
                refusedSince = System.nanoTime();
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        int sentBeforeBlock = accepted;
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> blocked = async(() -> {
            try {
                started.countDown();
                p[0].send(message(sentBeforeBlock, chunk.length));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        started.await();
        assertFalse(awaitDone(blocked, Duration.ofMillis(200)), "send did not block on a full peer");
        for (int i = 0; i <= sentBeforeBlock; i++) {
            assertArrayEquals(message(i, chunk.length), p[1].receive(), "message " + i);
        }
        blocked.get(10, TimeUnit.SECONDS);
        assertNull(p[1].receive(Duration.ofMillis(50)));
    }

    @Test
    void onMessageDeliversThenReportsThePeerCloseOnce() throws Exception {
        Connection[] p = trackedPair();
        List<String> got = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        Thread loop = p[1].onMessage(view -> {
            synchronized (got) {
                got.add(StandardCharsets.UTF_8.decode(view).toString());
            }
        }, e -> {
            synchronized (errors) {
                errors.add(e);
            }
        });
        assertThrows(IllegalStateException.class, p[1]::tryReceive);
        assertThrows(IllegalStateException.class, () -> p[1].onMessage(m -> { }, e -> { }));
        for (int i = 0; i < 50; i++) {
            p[0].send("m" + i);
        }
        p[0].close();
        assertTrue(loop.join(Duration.ofSeconds(10)), "loop did not end");
        assertEquals(50, got.size());
        assertEquals("m49", got.getLast());
        assertEquals(1, errors.size());
        assertInstanceOf(ConnectionClosedException.class, errors.getFirst());
    }

    @Test
    void onMessageEndsSilentlyOnLocalClose() throws Exception {
        Connection[] p = trackedPair();
        AtomicInteger errors = new AtomicInteger();
        Thread loop = p[1].onMessage(view -> { }, e -> errors.incrementAndGet());
        p[1].close();
        assertTrue(loop.join(Duration.ofSeconds(10)), "loop did not end");
        assertEquals(0, errors.get());
    }

    @Test
    void peerKilledEndsBlockedReceive() throws Exception {
        Connection survivor = track(killablePeer());
        CompletableFuture<Throwable> blocked = failureOf(survivor::receive);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "receive returned without a message");
        ChildJvm.kill(lastChild());
        assertInstanceOf(ConnectionClosedException.class, blocked.get(5, TimeUnit.SECONDS));
    }

    @Test
    void peerKilledEndsBlockedSend() throws Exception {
        Connection survivor = track(killablePeer());
        CompletableFuture<Throwable> blocked = failureOf(() -> {
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                survivor.send(chunk);
            }
        });
        assertFalse(awaitDone(blocked, Duration.ofMillis(300)), "send never blocked on a peer that does not read");
        ChildJvm.kill(lastChild());
        assertInstanceOf(ConnectionClosedException.class, blocked.get(5, TimeUnit.SECONDS));
    }

    @Test
    void writtenMessagesArriveInOrderWithSendsAndAfterFlush() throws Exception {
        Connection[] p = trackedPair();
        p[0].write(message(0, 10));
        p[0].write(ByteBuffer.wrap(message(1, 20)).asReadOnlyBuffer());
        p[0].send(message(2, 30));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(message(i, 10 * (i + 1)), p[1].receive(Duration.ofSeconds(10)),
                    "a send delivers what was written before it: message " + i);
        }
        p[0].write("three");
        p[0].write(MemorySegment.ofArray(message(4, 0)));
        p[0].write(ByteBuffer.allocateDirect(5).put(0, (byte) 5));
        assertTrue(p[0].trySend(message(6, 7)), "trySend on an idle connection");
        p[0].write(message(7, 8));
        p[0].flush();
        p[0].flush();
        assertEquals("three", p[1].receiveString(Duration.ofSeconds(10)));
        assertArrayEquals(new byte[0], p[1].receive(Duration.ofSeconds(10)));
        assertArrayEquals(new byte[] {5, 0, 0, 0, 0}, p[1].receive(Duration.ofSeconds(10)));
        assertArrayEquals(message(6, 7), p[1].receive(Duration.ofSeconds(10)));
        assertArrayEquals(message(7, 8), p[1].receive(Duration.ofSeconds(10)));
        assertNull(p[1].receive(Duration.ofMillis(50)));
    }

    @Test
    void writeTakesMessagesLargerThanAnyBuffer() throws Exception {
        Connection[] p = trackedPair();
        byte[] big = message(1, maxFrame());
        CompletableFuture<Void> written = async(() -> {
            p[0].write(message(0, 100));
            p[0].write(big);
            p[0].write(message(2, 100_000));
            p[0].write(message(3, 1));
            p[0].flush();
        });
        assertArrayEquals(message(0, 100), p[1].receive(Duration.ofSeconds(30)));
        assertArrayEquals(big, p[1].receive(Duration.ofSeconds(30)));
        assertArrayEquals(message(2, 100_000), p[1].receive(Duration.ofSeconds(30)));
        assertArrayEquals(message(3, 1), p[1].receive(Duration.ofSeconds(30)));
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
        void send(Connection connection, int thread, int i) throws Exception;
    }

    /** What a sending thread does after its last message. */
    @FunctionalInterface
    private interface Finish {
        void finish(Connection connection) throws Exception;
    }

    /**
     * Four threads send 500 stamped messages each through {@code step}; the receiver checks that
     * every message is whole (checksum) and that each thread's messages arrive in its order.
     */
    private void assertConcurrentSendingKeepsFramesWhole(SendStep step, Finish finish) throws Exception {
        Connection[] p = trackedPair();
        int threads = 4;
        int perThread = 500;
        List<Thread> senders = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        step.send(p[0], id, i);
                    }
                    finish.finish(p[0]);
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        int[] next = new int[threads];
        for (int n = 0; n < threads * perThread; n++) {
            byte[] received = p[1].receive(Duration.ofSeconds(30));
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
    void closeFlushesWrittenMessages() throws Exception {
        Connection[] p = trackedPair();
        for (int i = 0; i < 100; i++) {
            p[0].write(message(i, 1 + i * 7));
        }
        p[0].close();
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(message(i, 1 + i * 7), p[1].receive(Duration.ofSeconds(10)), "message " + i);
        }
        assertThrows(ConnectionClosedException.class, () -> p[1].receive(Duration.ofSeconds(10)));
    }

    @Test
    void writeAndFlushFollowTheRulesOfSend() throws Exception {
        Connection[] p = trackedPair();
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> p[0].write(new byte[maxFrame() + 1]));
        assertTrue(e.getMessage().endsWith(": write: frame length " + (maxFrame() + 1) + " exceeds maxFrame "
                + maxFrame()), e.getMessage());
        p[0].flush();
        assertNull(p[1].receive(Duration.ofMillis(50)), "a refused write sent something");
        p[0].close();
        ConnectionClosedException w = assertThrows(ConnectionClosedException.class, () -> p[0].write("x"));
        assertTrue(w.getMessage().endsWith(": write: connection closed locally"), w.getMessage());
        ConnectionClosedException f = assertThrows(ConnectionClosedException.class, p[0]::flush);
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
}
