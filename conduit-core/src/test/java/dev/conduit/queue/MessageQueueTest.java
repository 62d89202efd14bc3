package dev.conduit.queue;

import dev.conduit.ConnectionClosedException;
import dev.conduit.internal.posix.SysV;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// A separate thread, as a call blocked in msgsnd or msgrcv does not end when interrupted.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MessageQueueTest {
    private static final AtomicInteger NEXT = new AtomicInteger();
    private final List<MessageQueue> toRemove = new ArrayList<>();

    /** A key no other test run uses: this process's id and a counter. */
    static int freshKey() {
        return 0x4D000000 | (int) ((ProcessHandle.current().pid() & 0xFFFF) << 8) | (NEXT.incrementAndGet() & 0xFF);
    }

    private MessageQueue privateQueue() throws IOException {
        return removedAfter(MessageQueue.open(MessageQueue.PRIVATE, MessageQueue.Options.DEFAULT));
    }

    private MessageQueue removedAfter(MessageQueue q) {
        toRemove.add(q);
        return q;
    }

    @AfterEach
    void removeQueues() {
        for (MessageQueue q : toRemove) {
            removeById(q.id());
        }
    }

    /** Removes a queue even through a closed handle; a removed one is fine. */
    static void removeById(int id) {
        try {
            SysV.msgctl(id, SysV.IPC_RMID, MemorySegment.NULL);
        } catch (IOException e) {
            // Already removed by the test.
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(MessageQueue.Message m) {
        return m.type() + ":" + new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void selectorsMatchAsTheKernelDoes() throws Exception {
        try (MessageQueue q = privateQueue()) {
            q.send(3, bytes("c1"));
            q.send(1, bytes("a1"));
            q.send(2, bytes("b1"));
            q.send(1, bytes("a2"));
            q.send(5, bytes("e1"));
            assertEquals("2:b1", text(q.tryReceive(2)), "a positive selector takes the first of its type");
            assertNull(q.tryReceive(4), "no message of type 4");
            assertEquals("1:a1", text(q.receive(-2)), "a negative selector takes the lowest type <= |selector|");
            assertEquals("1:a2", text(q.receive(-5)));
            assertEquals("3:c1", text(q.receive(-5)));
            assertNull(q.tryReceive(-4), "only type 5 is left, above 4");
            q.send(4, bytes("d1"));
            assertEquals("5:e1", text(q.receive(0)), "selector 0 takes the first in the queue");
            assertEquals("4:d1", text(q.receive(0, Duration.ofSeconds(5))));
            assertNull(q.tryReceive(0));
        }
    }

    @Test
    void carriesEmptyAndMaximalMessagesAndRefusesLongerOnesNamingBothNumbers() throws Exception {
        try (MessageQueue q = privateQueue()) {
            int msgmax = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/msgmax")).getFirst());
            assertEquals(msgmax, q.maxMessageSize());
            byte[] max = new byte[msgmax];
            max[msgmax - 1] = 7;
            q.send(9, max);
            q.send(9, new byte[0]);
            assertArrayEquals(max, q.receive(9).payload());
            assertArrayEquals(new byte[0], q.receive(9).payload());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q.send(1, new byte[msgmax + 1]));
            assertEquals("mq:private: send: message of " + (msgmax + 1) + " bytes exceeds the kernel's msgmax of "
                    + msgmax + " bytes (/proc/sys/kernel/msgmax)", e.getMessage());
        }
    }

    @Test
    void refusesTypesBelowOne() throws Exception {
        try (MessageQueue q = privateQueue()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.send(0, bytes("x")));
            assertEquals("message type: 0 (expected: > 0), in send", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> q.trySend(-3, bytes("x")));
        }
    }

    @Test
    void exclusiveCreationFailsWhenTheKeyIsTaken() throws Exception {
        int key = freshKey();
        try (MessageQueue first = removedAfter(MessageQueue.open(key, MessageQueue.Options.DEFAULT.withExclusive()));
             MessageQueue again = MessageQueue.open(key)) {
            assertEquals(first.id(), again.id());
            IOException e = assertThrows(IOException.class,
                    () -> MessageQueue.open(key, MessageQueue.Options.DEFAULT.withExclusive()));
            assertEquals("mq:0x" + Integer.toHexString(key) + ": open: msgget(0x" + Integer.toHexString(key)
                    + ", IPC_CREAT|IPC_EXCL|0600): File exists (errno 17) (the queue exists and exclusive creation"
                    + " was asked)", e.getMessage());
        }
        IOException missing = assertThrows(IOException.class,
                () -> MessageQueue.open(freshKey(), MessageQueue.Options.DEFAULT.withExisting()));
        assertTrue(missing.getMessage().contains("No such file or directory (errno 2) (no queue has this key"),
                missing.getMessage());
    }

    @Test
    void newQueuesAreOwnerOnlyUnlessAskedAndStatReportsThem() throws Exception {
        try (MessageQueue q = privateQueue();
             MessageQueue shared = removedAfter(MessageQueue.open(freshKey(),
                     MessageQueue.Options.DEFAULT.withPermissions(0640)))) {
            MessageQueue.Stat empty = q.stat();
            assertEquals(0600, empty.permissions());
            assertEquals(0640, shared.stat().permissions());
            assertEquals(0, empty.messages());
            assertEquals(0, empty.bytes());
            assertEquals(Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/msgmnb")).getFirst()),
                    empty.capacity());
            q.send(1, new byte[10]);
            q.send(2, new byte[32]);
            MessageQueue.Stat two = q.stat();
            assertEquals(2, two.messages());
            assertEquals(42, two.bytes());
            assertEquals(ProcessHandle.current().pid(), two.lastSendPid());
        }
    }

    @Test
    void trySendReturnsFalseOnAFullQueueAndSendWaitsForAReceiver() throws Exception {
        try (MessageQueue q = privateQueue()) {
            q.setCapacity(100);
            assertEquals(100, q.stat().capacity());
            assertTrue(q.trySend(1, new byte[60]));
            assertFalse(q.trySend(1, new byte[60]), "100-byte queue holding 60 took 60 more");
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try {
                    q.send(2, new byte[60]);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            Waits.until("send blocks in msgsnd", Duration.ofSeconds(10),
                    () -> Thread.getAllStackTraces().keySet().stream().anyMatch(t -> Waits.isIn(t, "SysV", "msgsnd")));
            assertFalse(blocked.isDone());
            assertEquals(1, q.receive(0).type());
            blocked.get(10, TimeUnit.SECONDS);
            assertEquals(2, q.receive(0, Duration.ofSeconds(5)).type());
        }
    }

    @Test
    void removeEndsABlockedReceive() throws Exception {
        MessageQueue q = privateQueue();
        CompletableFuture<Throwable> blocked = failureOf(() -> q.receive(7));
        Waits.until("receive blocks in msgrcv", Duration.ofSeconds(10), () -> blockedIn("msgrcv"));
        q.remove();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, t);
        assertTrue(t.getMessage().startsWith("mq:private: receive: the queue was removed (msgrcv("), t.getMessage());
        // EIDRM if the wait was in the kernel when the queue went; EINVAL if it was between two
        // msgrcv calls (woken, about to wait again) and the id was already gone.
        assertTrue(t.getMessage().contains("Identifier removed (errno 43)")
                || t.getMessage().contains("Invalid argument (errno 22)"), t.getMessage());
        q.close();
    }

    @Test
    void closeEndsBlockedReceivesAndSendsButKeepsTheQueue() throws Exception {
        int key = freshKey();
        try (MessageQueue other = removedAfter(MessageQueue.open(key))) {
            MessageQueue q = MessageQueue.open(key);
            q.setCapacity(10);
            q.send(1, new byte[10]);
            CompletableFuture<Throwable> receiving = failureOf(() -> q.receive(5));
            CompletableFuture<Throwable> sending = failureOf(() -> q.send(2, new byte[5]));
            Waits.until("both block in the kernel", Duration.ofSeconds(10),
                    () -> blockedIn("msgrcv") && blockedIn("msgsnd"));
            q.close();
            Throwable r = receiving.get(10, TimeUnit.SECONDS);
            assertInstanceOf(ConnectionClosedException.class, r);
            assertEquals("mq:0x" + Integer.toHexString(key) + ": receive: closed locally", r.getMessage());
            assertInstanceOf(ConnectionClosedException.class, sending.get(10, TimeUnit.SECONDS));
            assertThrows(ConnectionClosedException.class, () -> q.tryReceive(0));
            q.close();
            assertEquals(1, other.stat().messages(), "closing a handle changed the queue");
            assertEquals(1, other.tryReceive(1).type());
        }
    }

    @Test
    void timedReceiveWaitsItsTimeThenReturnsNull() throws Exception {
        try (MessageQueue q = privateQueue()) {
            long start = System.nanoTime();
            assertNull(q.receive(0, Duration.ofMillis(200)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "returned early");
            CompletableFuture<MessageQueue.Message> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.receive(4, Duration.ofSeconds(30));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            Waits.until("receive blocks in msgrcv", Duration.ofSeconds(10), () -> blockedIn("msgrcv"));
            q.send(3, bytes("not this"));
            q.send(4, bytes("this"));
            assertEquals("4:this", text(waiting.get(10, TimeUnit.SECONDS)));
            assertEquals("3:not this", text(q.tryReceive(0)));
        }
    }

    @Test
    void aShortTimeOutEndsOnTimeBehindLongOnes() throws Exception {
        try (MessageQueue q = privateQueue()) {
            // Many long waits ended early by a message, as a receiving loop makes them.
            for (int i = 0; i < 1000; i++) {
                q.send(1, bytes("m" + i));
                assertEquals("1:m" + i, text(q.receive(0, Duration.ofHours(1))));
            }
            CompletableFuture<MessageQueue.Message> longWait = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.receive(9, Duration.ofHours(1));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            Waits.until("the long receive blocks in msgrcv", Duration.ofSeconds(10), () -> blockedIn("msgrcv"));
            long start = System.nanoTime();
            assertNull(q.receive(8, Duration.ofMillis(100)));
            long took = System.nanoTime() - start;
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(100), "returned early");
            assertTrue(took < TimeUnit.SECONDS.toNanos(10), "a 100 ms receive took " + took / 1_000_000 + " ms");
            q.send(9, bytes("late"));
            assertEquals("9:late", text(longWait.get(10, TimeUnit.SECONDS)));
        }
    }

    @Test
    void manyThreadsReceiveBySelectorAtOnce() throws Exception {
        try (MessageQueue q = privateQueue()) {
            List<CompletableFuture<String>> receivers = new ArrayList<>();
            for (int type = 1; type <= 4; type++) {
                long t = type;
                receivers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        StringBuilder sb = new StringBuilder();
                        for (int i = 0; i < 50; i++) {
                            sb.append(text(q.receive(t, Duration.ofSeconds(20)))).append(' ');
                        }
                        return sb.toString();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, r -> Thread.ofPlatform().daemon().start(r)));
            }
            for (int i = 0; i < 50; i++) {
                for (int type = 4; type >= 1; type--) {
                    q.send(type, bytes(Integer.toString(i)));
                }
            }
            for (int type = 1; type <= 4; type++) {
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    expected.append(type).append(':').append(i).append(' ');
                }
                assertEquals(expected.toString(), receivers.get(type - 1).get(20, TimeUnit.SECONDS));
            }
        }
    }

    static boolean blockedIn(String call) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> Waits.isIn(t, "SysV", call));
    }

    @FunctionalInterface
    interface Blocking {
        void run() throws Exception;
    }

    static CompletableFuture<Throwable> failureOf(Blocking task) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                task.run();
                f.complete(null);
            } catch (Throwable t) {
                f.complete(t);
            }
        });
        return f;
    }
}
