package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.Listener;
import dev.conduit.LogDamage;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the log does beyond the one-way contract: positions, crashes, rollover, files. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TempDir dir;
    private String log;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = new TempDir();
        log = "log:" + dir.resolve("log");
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception e) {
                // Cleaning up; the test's assertions decided the outcome.
            }
        }
        dir.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private MessageSender sender(String query) throws IOException {
        return track(Conduit.openSender(log + query));
    }

    private MessageReceiver receiver(String query) throws IOException {
        return track(Conduit.openReceiver(log + query));
    }

    @Test
    void startsFromTheStartTheEndOrASavedPosition() throws Exception {
        MessageSender sender = sender("");
        sender.send("a");
        sender.send("b");
        sender.send("c");
        MessageReceiver fromStart = receiver("?from=start");
        assertEquals(0, LogPosition.of(fromStart).offset());
        assertEquals("a", fromStart.receiveString(WAIT));
        LogPosition afterA = LogPosition.of(fromStart);
        assertEquals(Segment.recordBytes(1), afterA.offset());
        MessageReceiver fromEnd = receiver("");
        assertEquals(3 * Segment.recordBytes(1), LogPosition.of(fromEnd).offset());
        assertNull(fromEnd.tryReceive());
        sender.send("d");
        assertEquals("d", fromEnd.receiveString(WAIT));
        MessageReceiver saved = receiver("?from=" + afterA);
        for (String expected : List.of("b", "c", "d")) {
            assertEquals(expected, saved.receiveString(WAIT));
        }
        assertNull(saved.tryReceive());
        assertEquals(LogPosition.of(fromEnd), LogPosition.of(saved));
    }

    @Test
    void refusesAPositionThatIsNotWhereARecordStarts() throws Exception {
        sender("").send("abc");
        IOException inside = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?from=8"));
        assertEquals(log + "?from=8: open: position 8 is not where a record of " + dir.resolve("log")
                .resolve("0000000000000000.log") + " starts", inside.getMessage());
        IOException past = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?from=48"));
        assertTrue(past.getMessage().endsWith(" starts (the log ends at 32)"), past.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(log + "?from=soon"));
        assertEquals("endpoint '" + log + "?from=soon': from=soon (expected start, end, a position a receiver"
                + " reported, e.g. 4096, or a time such as 2026-12-06T10:00Z)", bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LogPosition(-1));
    }

    @Test
    void refusesOptionsForTheOtherEndAndMalformedOnes() {
        assertEquals("endpoint '" + log + "?from=start': from is a receiver's option; this end does not take it",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(log + "?from=start"))
                        .getMessage());
        assertEquals("endpoint '" + log + "?sync=always': sync is a sender's option; this end does not take it",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver(log + "?sync=always"))
                        .getMessage());
        assertEquals("endpoint '" + log + "?sync=often': sync=often (expected none or always)",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(log + "?sync=often"))
                        .getMessage());
        assertEquals("endpoint '" + log + "?segmentSize=10000': segmentSize=10000 (expected a multiple of 4096,"
                + " e.g. 64k or 64m)", assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(log + "?segmentSize=10000")).getMessage());
        assertEquals("endpoint '" + log + "?segmentSize=64k&maxFrame=65536': maxFrame=65536 does not fit in this"
                + " log's segments of 61440 data bytes (expected at most 61416; raise segmentSize when making a"
                + " log)", assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(log + "?segmentSize=64k&maxFrame=65536")).getMessage());
    }

    @Test
    void skipsAbandonedRecordsAndNeverReturnsThemOrTornOnes() throws Exception {
        MessageSender sender = sender("?sync=always");
        sender.send("one");
        int deadPid = deadPid();
        Path file = dir.resolve("log").resolve("0000000000000000.log");
        try (Segment segment = Segment.map(file, 0)) {
            // A writer that died after claiming its record, before committing it.
            long at = segment.tailHint();
            assertTrue(segment.claim(at, Segment.claimWord(5, deadPid)));
            at += Segment.recordBytes(5);
            // A record committed with a payload that does not match its checksum (a torn page).
            assertTrue(segment.claim(at, Segment.claimWord(4, deadPid)));
            segment.data.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), at + Segment.TIMED_RECORD_HEADER,
                    0x74726f6e);
            segment.data.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), at + Segment.CRC, 12345);
            segment.publishState(at, Segment.COMMITTED);
        }
        sender.send("two");
        // A torn record is damage: reported (LogDamageTest), here skipped and counted as such.
        MessageReceiver receiver = receiver("?from=start&onDamage=skip");
        assertEquals("one", receiver.receiveString(WAIT));
        assertEquals("two", receiver.receiveString(WAIT));
        assertNull(receiver.tryReceive());
        assertEquals(1, ((LogReceiver) receiver).skipped());
        assertEquals(1, LogDamage.of(receiver).places());
    }

    @Test
    void aSendThatFailsAfterClaimingItsRecordDoesNotHoldUpReaders() throws Exception {
        MessageSender sender = sender("");
        MessageReceiver receiver = receiver("?from=start");
        MemorySegment gone;
        try (Arena arena = Arena.ofConfined()) {
            gone = arena.allocate(8);
        }
        MemorySegment unreadable = gone;
        assertThrows(IllegalStateException.class, () -> sender.send(unreadable));
        sender.send("next");
        assertEquals("next", receiver.receiveString(WAIT));
        assertEquals(1, ((LogReceiver) receiver).skipped());
    }

    @Test
    void aClaimLostInACrashOfTheMachineDoesNotEndTheLog() throws Exception {
        MessageSender sender = sender("?segmentSize=8k");
        sender.send("a");
        sender.send("lost");
        sender.send("c");
        Path file = dir.resolve("log").resolve("0000000000000000.log");
        try (Segment segment = Segment.map(file, 0)) {
            // The page holding the claim of "lost" never reached the disk; the later ones did.
            segment.data.set(ValueLayout.JAVA_LONG, Segment.recordBytes(1), 0L);
        }
        MessageReceiver receiver = receiver("?from=start");
        assertEquals("a", receiver.receiveString(WAIT));
        assertEquals("c", receiver.receiveString(WAIT));
        while (!Files.exists(dir.resolve("log").resolve("0000000000001000.log"))) {
            sender.send(LogWriterChild.stamped(1));
        }
        // The same for the record that closed the first segment: the second one exists, so it was full.
        try (Segment segment = Segment.map(file, 0)) {
            long end = segment.tailHint();
            assertEquals(Segment.END_LENGTH, (int) segment.claimAcquire(end));
            segment.data.set(ValueLayout.JAVA_LONG, end, 0L);
        }
        sender.send("in the second segment");
        int stamped = 0;
        for (String m = receiver.receiveString(WAIT); !m.equals("in the second segment");
                m = receiver.receiveString(WAIT)) {
            stamped++;
        }
        assertTrue(stamped > 0);
        assertEquals(2, ((LogReceiver) receiver).skipped());
        assertNull(receiver.tryReceive());
    }

    @Test
    void aRecordLongerThanTheReceiversMaximumClosesItAfterMovingPast() throws Exception {
        MessageSender sender = sender("");
        sender.send(new byte[20]);
        sender.send("fits");
        MessageReceiver small = receiver("?from=start&maxFrame=10");
        FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> small.receive(WAIT));
        assertEquals(20, e.length());
        assertEquals(10, e.maximum());
        assertThrows(ConnectionClosedException.class, small::tryReceive);
        MessageReceiver resumed = receiver("?maxFrame=10&from=" + LogPosition.of(small));
        assertEquals("fits", resumed.receiveString(WAIT));
    }

    @Test
    void segmentsDeletedFromTheStartAreSkippedOrRefused() throws Exception {
        MessageSender sender = sender("?segmentSize=8k");
        for (int i = 0; i < 6; i++) {
            sender.send(LogWriterChild.stamped(100 + i)); // about 1 KiB each: a segment holds 3
        }
        Path logDir = dir.resolve("log");
        Files.delete(logDir.resolve("0000000000000000.log"));
        MessageReceiver fromStart = receiver("?from=start");
        int first = LogWriterChild.check(fromStart.receive(WAIT));
        assertTrue(first > 100, "read message " + first + " from a deleted segment");
        IOException gone = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?from=0"));
        assertEquals(log + "?from=0: open: position 0 is in a segment that was deleted (by retention, or by hand);"
                + " the oldest record kept is at 4096 (open with ?onTrimmed=oldest to start there instead)",
                gone.getMessage());
    }

    /** @return the pid of a process that has exited */
    private static int deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertEquals(0, p.waitFor());
        return (int) p.pid();
    }

    @Test
    void aReaderWaitsForARecordItsLiveWriterHasNotCommitted() throws Exception {
        MessageSender sender = sender("");
        sender.send("first");
        MessageReceiver receiver = receiver("?from=start&spin=0");
        assertEquals("first", receiver.receiveString(WAIT));
        try (Segment segment = Segment.map(dir.resolve("log").resolve("0000000000000000.log"), 0)) {
            long at = segment.tailHint();
            assertTrue(segment.claim(at, Segment.claimWord(0, (int) ProcessHandle.current().pid())));
            assertNull(receiver.receive(Duration.ofMillis(120)), "returned a record not yet committed");
            CRC32C crc = new CRC32C();
            crc.update(new byte[8]); // the append time, 0 here, and no payload
            segment.data.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), at + Segment.CRC,
                    (int) crc.getValue());
            segment.publishState(at, Segment.COMMITTED);
        }
        assertEquals(0, receiver.receive(WAIT).length);
    }

    @Test
    void aBlockedReceiverSleepsInTheKernelAndASendWakesIt() throws Exception {
        MessageReceiver receiver = receiver("?spin=0");
        MessageSender sender = sender("");
        CompletableFuture<String> got = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                got.complete(receiver.receiveString());
            } catch (Throwable t) {
                got.completeExceptionally(t);
            }
        });
        Waits.until("the receiver sleeps in FUTEX_WAIT", WAIT, () -> Waits.isIn(reader, "Futex", "await"));
        sender.send("wake up");
        assertEquals("wake up", got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void readersFollowTheLogAcrossSegmentsWhileItIsWritten() throws Exception {
        MessageReceiver receiver = receiver("?from=start&segmentSize=8k");
        MessageSender sender = sender("?segmentSize=8k");
        int count = 60;
        CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    sender.send(LogWriterChild.stamped(i));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        for (int i = 0; i < count; i++) {
            byte[] m = receiver.receive(WAIT);
            assertEquals(i, LogWriterChild.check(m));
        }
        written.get(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.list(dir.resolve("log"))) {
            assertTrue(files.count() > 5, "the log did not roll over");
        }
        assertEquals(Files.size(dir.resolve("log").resolve("0000000000000000.log")), 8192);
        MessageReceiver again = receiver("?from=" + LogPosition.of(receiver));
        sender.send("next");
        assertEquals("next", again.receiveString(WAIT));
    }

    @Test
    void sendersInOneProcessNeverInterleaveOrOverlap() throws Exception {
        int senders = 4;
        int each = 400;
        MessageReceiver receiver = receiver("?from=start&segmentSize=64k");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < senders; t++) {
            MessageSender sender = sender("?segmentSize=64k");
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < each; i++) {
                        sender.send(LogWriterChild.stamped(id * each + i));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        int[] next = new int[senders];
        for (int n = 0; n < senders * each; n++) {
            byte[] m = receiver.receive(WAIT);
            assertTrue(m != null, "message " + n + " did not come; a sender failed with " + failure.get());
            int seq = LogWriterChild.check(m);
            int id = seq / each;
            assertEquals(id * each + next[id]++, seq, "order of sender " + id);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get());
        assertEquals(0, ((LogReceiver) receiver).skipped());
    }

    @Test
    void aWriterKilledMidStreamLeavesOnlyWholeRecordsAndANewWriterGoesOn() throws Exception {
        MessageReceiver receiver = receiver("?from=start&segmentSize=256k");
        Process child = ChildJvm.start(LogWriterChild.class, log + "?segmentSize=256k");
        try {
            int seq = 0;
            for (; seq < 300; seq++) {
                assertEquals(seq, LogWriterChild.check(receiver.receive(Duration.ofSeconds(30))));
            }
            ChildJvm.kill(child);
            assertFalse(child.isAlive());
            for (byte[] m = receiver.receive(Duration.ofMillis(200)); m != null;
                    m = receiver.receive(Duration.ofMillis(200))) {
                assertEquals(seq++, LogWriterChild.check(m));
            }
            assertTrue(((LogReceiver) receiver).skipped() <= 1, "skipped " + ((LogReceiver) receiver).skipped());
            MessageSender next = sender("");
            next.send("after the crash");
            assertEquals("after the crash", receiver.receiveString(WAIT));
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void sendersInSeveralProcessesNeverInterleaveOrOverlap() throws Exception {
        int writers = 3;
        int each = 3000;
        MessageReceiver receiver = receiver("?from=start&segmentSize=64k");
        List<Process> children = new ArrayList<>();
        Path signals = Files.createDirectory(dir.resolve("signals"));
        try {
            for (int w = 0; w < writers; w++) {
                children.add(ChildJvm.start(LogWriterChild.class, log + "?segmentSize=64k", String.valueOf(w * each),
                        String.valueOf(each), signals.toString()));
            }
            Waits.until("every writer is ready", Duration.ofSeconds(30), () -> {
                try (Stream<Path> ready = Files.list(signals)) {
                    return ready.count() == writers;
                } catch (IOException e) {
                    return false;
                }
            });
            Files.createFile(signals.resolve("go"));
            int[] next = new int[writers];
            for (int n = 0; n < writers * each; n++) {
                byte[] m = receiver.receive(Duration.ofSeconds(30));
                assertTrue(m != null, "message " + n + " did not come");
                int seq = LogWriterChild.check(m);
                int writer = seq / each;
                assertEquals(writer * each + next[writer]++, seq, "order of writer " + writer);
            }
            for (Process child : children) {
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, child.exitValue());
            }
            assertNull(receiver.tryReceive());
            assertEquals(0, ((LogReceiver) receiver).skipped());
        } finally {
            children.forEach(ChildJvm::kill);
        }
    }

    @Test
    void makesItsDirectoryAndFilesForTheOwnerOnly() throws Exception {
        sender("").send("x");
        Path path = dir.resolve("log");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                path.resolve("0000000000000000.log"))));
        try (Stream<Path> files = Files.list(path)) {
            assertEquals(List.of("0000000000000000.log"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void removesSegmentsLeftHalfMadeByProcessesThatDied() throws Exception {
        sender("").close();
        Path logDir = dir.resolve("log");
        Path stale = Files.createFile(logDir.resolve(".tmp-" + deadPid() + "-1f"));
        Path live = Files.createFile(logDir.resolve(".tmp-" + ProcessHandle.current().pid() + "-2e"));
        sender("").close();
        assertFalse(Files.exists(stale), "a dead maker's segment was left");
        assertTrue(Files.exists(live), "a live maker's segment was removed");
    }

    @Test
    void refusesBadPathsAndSymbolicLinks() throws Exception {
        assertEquals("endpoint 'log:relative/dir': log path 'relative/dir' is not absolute (expected e.g."
                + " log:/var/tmp/events)", assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("log:relative/dir")).getMessage());
        Path missing = dir.resolve("no/such");
        assertEquals("log:" + missing + ": open: the directory " + missing.getParent() + " does not exist",
                assertThrows(IOException.class, () -> Conduit.openReceiver("log:" + missing)).getMessage());
        Path file = Files.writeString(dir.resolve("plain"), "not a log");
        assertEquals("log:" + file + ": open: " + file + " exists and is not a directory",
                assertThrows(IOException.class, () -> Conduit.openSender("log:" + file)).getMessage());
        Path target = Files.createDirectory(dir.resolve("target"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertEquals("log:" + link + ": open: " + link + " is a symbolic link; a log's path must be its directory"
                + " itself", assertThrows(IOException.class, () -> Conduit.openSender("log:" + link)).getMessage());
        Path logDir = Files.createDirectory(dir.resolve("planted"));
        Files.createSymbolicLink(logDir.resolve("0000000000000000.log"), file);
        IOException planted = assertThrows(IOException.class, () -> Conduit.openSender("log:" + logDir));
        assertEquals("log:" + logDir + ": open: " + logDir.resolve("0000000000000000.log") + ": Too many levels of"
                + " symbolic links (NOFOLLOW_LINKS specified)", planted.getMessage());
        assertEquals("not a log", Files.readString(file), "the link's target was written to");
        try (Stream<Path> files = Files.list(target)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aReceiverRefusesToSendAndASenderToReceive() throws Exception {
        MessageReceiver receiver = receiver("");
        assertInstanceOf(UnsupportedOperationException.class,
                assertThrows(RuntimeException.class, () -> ((Connection) receiver).send("x")));
        Listener listener = track(Conduit.listen("mem:log-test-not-a-log"));
        Connection connection = track(Conduit.connect("mem:log-test-not-a-log"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogPosition.of(connection)).getMessage()
                .endsWith(" is not a log: receiver"));
        assertEquals("mem:log-test-not-a-log", listener.endpoint().toString());
    }
}
