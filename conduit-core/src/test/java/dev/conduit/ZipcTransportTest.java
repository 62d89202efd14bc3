package dev.conduit;

import dev.conduit.internal.posix.Shm;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TestPeers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZipcTransportTest extends OneWayContract {
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final int SLOT = 8192;
    /** Names this test used: whatever a test leaves in /dev/shm is removed after it, and reported. */
    private final List<String> names = new ArrayList<>();

    private String freshName() {
        String name = "/zt" + ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet();
        names.add(name);
        return name;
    }

    @AfterEach
    void removeObjects() {
        for (String name : names) {
            try {
                Shm.unlink(name);
            } catch (IOException e) {
                // Gone already.
            }
        }
    }

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected String freshEndpoint() {
        return "zipc:" + freshName() + "?slots=128&slotSize=" + SLOT;
    }

    @Override
    protected int maxFrame() {
        return SLOT;
    }

    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    /** ZIPC's queue has one producer: senders in two processes would both write the tail's slot. */
    @Override
    @Test
    void sendersInTwoProcessesNeverInterleave() {
        Assumptions.abort("ZIPC's queue is single-producer: one sending process per queue");
    }

    private static Path object(String name) {
        return Path.of("/dev/shm" + name);
    }

    @Test
    void aFullQueueHoldsSlotsMinusOneAndOverwritesNothing() throws Exception {
        String endpoint = "zipc:" + freshName() + "?slots=4&slotSize=16";
        Ends ends = endsOn(endpoint);
        track(ends.sender());
        track(ends.receiver());
        for (int i = 0; i < 3; i++) {
            assertTrue(ends.sender().trySend("m" + i), "message " + i);
        }
        assertFalse(ends.sender().trySend("overflow"), "a fourth message in four slots");
        List<String> seen = new ArrayList<>();
        ends.receiver().poll(view -> {
            try {
                // The slot of m0 is lent out: the queue is still full, and m0 stays as it was.
                assertFalse(ends.sender().trySend("over m0"));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
            seen.add(StandardCharsets.UTF_8.decode(view).toString());
        }, 1);
        assertEquals(List.of("m0"), seen);
        assertTrue(ends.sender().trySend("m3"), "the slot came back when poll ended");
        for (int i = 1; i < 4; i++) {
            assertEquals("m" + i, ends.receiver().receiveString(Duration.ofSeconds(10)));
        }
        assertNull(ends.receiver().tryReceive());
    }

    @Test
    void pollLendsTheSlotsThemselves() throws Exception {
        String name = freshName();
        Ends ends = endsOn("zipc:" + name + "?slots=4&slotSize=16");
        track(ends.sender());
        track(ends.receiver());
        ends.sender().send("abc");
        ends.sender().send("");
        List<String> views = new ArrayList<>();
        assertEquals(2, ends.receiver().poll(view -> views.add(view.isDirect() + " " + view.isReadOnly() + " "
                + view.position() + "+" + view.remaining()), 10));
        // Windows on the mapping itself: slot 0 starts at 128 + 8 * 4 = 160 in the object, slot 1 at 176.
        assertEquals(List.of("true true 160+3", "true true 176+0"), views);
    }

    @Test
    void anEmptyMessageIsToldApartFromNoMessage() throws Exception {
        Ends ends = endsOn("zipc:" + freshName() + "?slots=4&slotSize=16");
        track(ends.sender());
        track(ends.receiver());
        assertNull(ends.receiver().tryReceive());
        ends.sender().send(new byte[0]);
        assertArrayEquals(new byte[0], ends.receiver().tryReceive());
        assertNull(ends.receiver().tryReceive());
    }

    @Test
    void aMessageLongerThanTheSlotIsRefusedNamingBothSizes() throws Exception {
        String endpoint = "zipc:" + freshName() + "?slots=4&slotSize=16";
        Ends ends = endsOn(endpoint);
        track(ends.sender());
        track(ends.receiver());
        FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> ends.sender().send(new byte[17]));
        assertEquals(endpoint + ": send: frame length 17 exceeds maxFrame 16", e.getMessage());
        assertNull(ends.receiver().tryReceive());
    }

    @Test
    void theLayoutIsZipcs() throws Exception {
        String name = freshName();
        try (MessageSender sender = Conduit.openSender("zipc:" + name + "?slots=4&slotSize=6")) {
            sender.send("hello");
            ByteBuffer object = ByteBuffer.wrap(Files.readAllBytes(object(name))).order(ByteOrder.LITTLE_ENDIAN);
            // 128 + 4 * 8 + 4 * 6 = 184, a multiple of 4: the flag is there, and the object ends after it.
            assertEquals(188, object.capacity());
            assertEquals(0x5A495043, object.getInt(184), "init flag");
            assertEquals(0, object.getInt(0), "head");
            assertEquals(1, object.getInt(64), "tail");
            assertEquals(0, object.getInt(68), "waiters");
            assertEquals(5, object.getLong(128), "length of slot 0");
            assertEquals("hello", new String(object.array(), 160, 5, StandardCharsets.US_ASCII));
            assertEquals(0600, Files.getAttribute(object(name), "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    instanceof Integer mode ? mode & 0777 : -1);
        }
        assertTrue(Files.exists(object(name)), "the sender removed a queue with a message in it");
        try (MessageReceiver receiver = Conduit.openReceiver("zipc:" + name + "?slots=4&slotSize=6")) {
            assertEquals("hello", receiver.receiveString(Duration.ofSeconds(10)));
        }
        assertFalse(Files.exists(object(name)), "the last end to close left the object behind");
    }

    @Test
    void theInitFlagIsRoundedUpToFourBytes() throws Exception {
        String name = freshName();
        try (MessageSender sender = Conduit.openSender("zipc:" + name + "?slots=3&slotSize=5")) {
            sender.send("x");
            ByteBuffer object = ByteBuffer.wrap(Files.readAllBytes(object(name))).order(ByteOrder.LITTLE_ENDIAN);
            // 128 + 24 + 15 = 167, rounded up to 168.
            assertEquals(172, object.capacity());
            assertEquals(0x5A495043, object.getInt(168));
        }
    }

    @Test
    void aSizeMismatchNamesBothLayouts() throws Exception {
        String name = freshName();
        try (MessageReceiver receiver = Conduit.openReceiver("zipc:" + name + "?slots=8&slotSize=64")) {
            String endpoint = "zipc:" + name + "?slots=8&slotSize=100";
            IOException e = assertThrows(IOException.class, () -> Conduit.openSender(endpoint));
            assertEquals(endpoint + ": openSender: /dev/shm" + name + " is 708 bytes, but slots=8 and slotSize=100"
                    + " make a queue of 996 bytes (found: slots=8 and slotSize=64 would fit it); open it with the slots"
                    + " and slotSize it was made with, or remove it (rm /dev/shm" + name + ") if it is stale",
                    e.getMessage());
            assertNull(receiver.tryReceive());
        }
    }

    @Test
    void namesAreCheckedAsZipcWouldWithoutPanicking() throws Exception {
        String long40 = "/" + "n".repeat(39);
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("zipc:" + long40));
        assertEquals("endpoint 'zipc:" + long40 + "': expected zipc:/NAME; '" + long40 + "' is 40 bytes long;"
                + " ZIPC's limit is 39, the leading '/' included", tooLong.getMessage());
        IllegalArgumentException noSlash = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("zipc:name"));
        assertEquals("endpoint 'zipc:name': expected zipc:/NAME; 'name' does not start with '/' (ZIPC names are"
                + " /NAME)", noSlash.getMessage());
        IllegalArgumentException slash = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("zipc:/a/b"));
        assertEquals("endpoint 'zipc:/a/b': expected zipc:/NAME; '/a/b': the name contains '/'", slash.getMessage());
        String long39 = "/" + "n".repeat(38);
        names.add(long39);
        assertNull(track(Conduit.openReceiver("zipc:" + long39)).tryReceive(), "39 bytes is within the limit");
    }

    @Test
    void aReceiverWhoseSenderWasKilledEnds() throws Exception {
        String endpoint = freshEndpoint();
        MessageReceiver receiver = track(Conduit.openReceiver(endpoint));
        Process child = ChildJvm.start(TestPeers.class, "send-hold", endpoint);
        try {
            assertEquals("ready", receiver.receiveString(Duration.ofSeconds(30)));
            assertNull(receiver.receive(Duration.ofMillis(200)), "the live sender's queue is empty, not closed");
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(10)));
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void aReceiverThatNeverSawASenderWaits() throws Exception {
        MessageReceiver receiver = track(Conduit.openReceiver(freshEndpoint()));
        assertNull(receiver.receive(Duration.ofMillis(1500)), "no sender yet is no message, not the end");
    }
}
