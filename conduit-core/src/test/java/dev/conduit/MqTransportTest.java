package dev.conduit;

import dev.conduit.internal.mq.SysvQueue;
import dev.conduit.internal.posix.SysV;
import dev.conduit.queue.MessageQueue;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.StampedSender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.conduit.testing.StampedSender.assertStamped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// A separate thread, as a call blocked in msgsnd or msgrcv does not end when interrupted.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MqTransportTest extends OneWayContract {
    private static final AtomicInteger NEXT = new AtomicInteger();
    /** Keys this test used: whatever a test leaves, removed after it. */
    private final List<Integer> keys = new ArrayList<>();

    /** @return a key no other test run uses: this process's id and a counter */
    private String freshKey() {
        int key = 0x4E000000 | (int) ((ProcessHandle.current().pid() & 0xFFFF) << 8) | (NEXT.incrementAndGet() & 0xFF);
        keys.add(key);
        return "0x" + Integer.toHexString(key);
    }

    @AfterEach
    void removeQueues() {
        for (int key : keys) {
            try {
                SysV.msgctl(SysV.msgget(key, 0), SysV.IPC_RMID, MemorySegment.NULL);
            } catch (IOException e) {
                // Gone already, as it should be.
            }
        }
    }

    private static int number(String key) {
        return Integer.parseUnsignedInt(key.substring(2), 16);
    }

    private static boolean exists(String key) {
        try {
            SysV.msgget(number(key), 0);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected String freshEndpoint() {
        return "mq:" + freshKey();
    }

    @Override
    protected int maxFrame() {
        try {
            return SysvQueue.kernelMsgmax();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    @Override
    protected boolean senderCloseEndsTheStream() {
        return false;
    }

    @Test
    void theReceiverMakesTheQueueAndRemovesItOnClose() throws Exception {
        String key = freshKey();
        MessageReceiver receiver = Conduit.openReceiver("mq:" + key);
        assertTrue(exists(key));
        try (MessageQueue queue = MessageQueue.open(number(key))) {
            assertEquals(0600, queue.stat().permissions());
        }
        MessageSender sender = track(Conduit.openSender("mq:" + key));
        receiver.close();
        assertFalse(exists(key), "the queue the receiver made is still there");
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> sender.send("x"));
        assertTrue(e.getMessage().startsWith("mq:" + key + ": send: the queue was removed"), e.getMessage());
    }

    @Test
    void aQueueTheReceiverFoundOrWasToldToKeepStays() throws Exception {
        String key = freshKey();
        try (MessageReceiver kept = Conduit.openReceiver("mq:" + key + "?keep=true&mode=0640")) {
            try (MessageQueue queue = MessageQueue.open(number(key))) {
                assertEquals(0640, queue.stat().permissions());
            }
            assertNull(kept.tryReceive());
        }
        assertTrue(exists(key), "keep=true");
        try (MessageSender sender = Conduit.openSender("mq:" + key)) {
            sender.send("waiting in the queue");
        }
        try (MessageReceiver found = Conduit.openReceiver("mq:" + key)) {
            assertEquals("waiting in the queue", found.receiveString(Duration.ofSeconds(10)));
        }
        assertTrue(exists(key), "a receiver removed a queue it did not make");
    }

    @Test
    void aSenderNeedsTheQueueOrWaitsForItOrMakesIt() throws Exception {
        String key = freshKey();
        IOException e = assertThrows(IOException.class, () -> Conduit.openSender("mq:" + key));
        assertEquals("mq:" + key + ": openSender: no queue has key " + key + "; a receiver makes it when it opens"
                + " (Conduit.openReceiver), or add create=true, or pass a time-out to openSender to wait for one",
                e.getMessage());
        CompletableFuture<MessageSender> opening = async(() -> Conduit.openSender("mq:" + key, Duration.ofSeconds(30)));
        assertFalse(awaitDone(opening, Duration.ofMillis(100)), "opened with no queue");
        MessageReceiver receiver = track(Conduit.openReceiver("mq:" + key));
        MessageSender sender = track(opening.get(10, TimeUnit.SECONDS));
        sender.send("hello");
        assertEquals("hello", receiver.receiveString(Duration.ofSeconds(10)));

        String other = freshKey();
        try (MessageSender maker = Conduit.openSender("mq:" + other + "?create=true&type=7")) {
            maker.send("before any receiver");
        }
        assertTrue(exists(other), "a sender never removes the queue");
        try (MessageQueue queue = MessageQueue.open(number(other))) {
            MessageQueue.Message m = queue.receive(0, Duration.ofSeconds(10));
            assertEquals(7, m.type());
            assertEquals("before any receiver", new String(m.payload(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theReceiverTakesTheTypesItsSelectorMatches() throws Exception {
        String key = freshKey();
        MessageReceiver twos = track(Conduit.openReceiver("mq:" + key + "?type=2&keep=true"));
        try (MessageSender one = Conduit.openSender("mq:" + key + "?type=1");
             MessageSender two = Conduit.openSender("mq:" + key + "?type=2");
             MessageSender three = Conduit.openSender("mq:" + key + "?type=3")) {
            three.send("c");
            one.send("a");
            two.send("b1");
            two.send("b2");
        }
        assertEquals("b1", twos.receiveString(Duration.ofSeconds(10)));
        assertEquals("b2", twos.receiveString(Duration.ofSeconds(10)));
        assertNull(twos.tryReceive(), "types 1 and 3 are not for this receiver");
        try (MessageReceiver lowestFirst = Conduit.openReceiver("mq:" + key + "?type=-3")) {
            assertEquals("a", lowestFirst.receiveString(Duration.ofSeconds(10)));
            assertEquals("c", lowestFirst.receiveString(Duration.ofSeconds(10)));
        }
    }

    @Test
    void badEndpointsAreRefusedSayingWhy() {
        assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver("mq:queue"));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver("mq:0"));
        assertTrue(zero.getMessage().contains("key 0 is IPC_PRIVATE"), zero.getMessage());
        String key = freshKey();
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("mq:" + key + "?type=0&create=true"));
        assertEquals("endpoint 'mq:" + key + "?type=0&create=true': type=0 (a sender's message type must be > 0)",
                type.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("mq:" + key + "?maxFrame=1m"));
        assertTrue(big.getMessage().contains("maxFrame=1048576 is more than a message on this queue may hold: "
                + maxFrame() + " bytes (the kernel's msgmax is " + maxFrame()), big.getMessage());
        assertFalse(exists(key), "a refused receiver left the queue it made");
        assertThrows(IllegalArgumentException.class, () -> Conduit.openSender("mq:" + key + "?mode=0600"));
        assertThrows(IllegalArgumentException.class, () -> Conduit.connect("mq:" + key));
    }

    @Test
    void aSmallerMaxFrameIsKeptOnBothEnds() throws Exception {
        String key = freshKey();
        String endpoint = "mq:" + key + "?maxFrame=100";
        MessageReceiver receiver = track(Conduit.openReceiver(endpoint));
        MessageSender sender = track(Conduit.openSender(endpoint));
        assertThrows(FrameTooLongException.class, () -> sender.send(new byte[101]));
        try (MessageQueue queue = MessageQueue.open(number(key))) {
            queue.send(1, new byte[200]);
        }
        FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> receiver.receive(Duration.ofSeconds(10)));
        assertEquals(200, e.length());
        assertEquals(100, e.maximum());
    }

    @Test
    void aVirtualThreadWaitsWithoutHoldingItsCarrier() throws Exception {
        Ends ends = ends();
        track(ends.sender());
        track(ends.receiver());
        int carriers = Runtime.getRuntime().availableProcessors();
        List<CompletableFuture<String>> waiting = new ArrayList<>();
        for (int i = 0; i < carriers + 2; i++) {
            CompletableFuture<String> got = new CompletableFuture<>();
            waiting.add(got);
            Thread.ofVirtual().start(() -> {
                try {
                    got.complete(ends.receiver().receiveString(Duration.ofSeconds(30)));
                } catch (Throwable t) {
                    got.completeExceptionally(t);
                }
            });
        }
        CompletableFuture<Boolean> another = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> another.complete(true));
        assertTrue(another.get(10, TimeUnit.SECONDS), "waiting receivers held every carrier");
        for (int i = 0; i < waiting.size(); i++) {
            ends.sender().send("m");
        }
        for (CompletableFuture<String> got : waiting) {
            assertEquals("m", got.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aKilledSenderLeavesOnlyWholeMessagesAndTheQueueOpen() throws Exception {
        String endpoint = "mq:" + freshKey();
        MessageReceiver receiver = track(Conduit.openReceiver(endpoint));
        Process child = ChildJvm.builder(StampedSender.class, endpoint, "0", "-1", "8000").start();
        try {
            InputStream out = child.getInputStream();
            assertEquals('R', out.read(), "the child opened its sender");
            int whole = 0;
            for (; whole < 200; whole++) {
                assertStamped(receiver.receive(Duration.ofSeconds(30)), 0, whole);
            }
            ChildJvm.kill(child);
            byte[] m;
            while ((m = receiver.receive(Duration.ofMillis(200))) != null) {
                assertStamped(m, 0, whole++);
            }
            try (MessageSender next = Conduit.openSender(endpoint)) {
                next.send("the queue outlives its senders");
            }
            assertEquals("the queue outlives its senders", receiver.receiveString(Duration.ofSeconds(10)));
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void aKilledReceiversQueueKeepsItsMessagesForTheNext() throws Exception {
        String key = freshKey();
        String endpoint = "mq:" + key;
        Process child = ChildJvm.builder(WaitingReceiver.class, endpoint).start();
        try {
            assertEquals('R', child.getInputStream().read(), "the child opened its receiver");
            MessageSender sender = track(Conduit.openSender(endpoint));
            sender.send("one");
            ChildJvm.kill(child);
            sender.send("two");
            // The kernel keeps the queue the killed receiver made, with its messages, for the next one on the key.
            assertTrue(exists(key));
            MessageReceiver next = track(Conduit.openReceiver(endpoint));
            assertEquals("one", next.receiveString(Duration.ofSeconds(10)));
            assertEquals("two", next.receiveString(Duration.ofSeconds(10)));
            next.close();
            assertTrue(exists(key), "a receiver removed a queue it did not make");
        } finally {
            ChildJvm.kill(child);
        }
    }

    /** Child: opens a receiver on {@code args[0]}, writes {@code R} to stdout, and waits to be killed. */
    public static final class WaitingReceiver {
        public static void main(String[] args) throws Exception {
            try (MessageReceiver receiver = Conduit.openReceiver(args[0] + "?type=99")) {
                System.out.write('R');
                System.out.flush();
                receiver.receive();
            }
        }
    }

    @Test
    void pollHandsOutViewsOfWholeMessages() throws Exception {
        Ends ends = ends();
        track(ends.sender());
        track(ends.receiver());
        byte[] first = message(1, 300);
        ends.sender().send(first);
        ends.sender().send(ByteBuffer.allocateDirect(3).put(0, (byte) 9));
        List<byte[]> got = new ArrayList<>();
        while (got.size() < 2) {
            ends.receiver().poll(view -> {
                byte[] copy = new byte[view.remaining()];
                view.get(copy);
                got.add(copy);
            }, 2, Duration.ofSeconds(10));
        }
        assertArrayEquals(first, got.get(0));
        assertArrayEquals(new byte[] {9, 0, 0}, got.get(1));
    }
}
