package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.LogInfo;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention, {@code ?retain=}: whole old segments deleted by age and by size, never the last, never
 * one a live receiver is on; that receiver fails or moves on, as it chose with {@code ?onTrimmed=}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogRetentionTest extends LogFixture {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** 8 KiB segments hold 3 of the about 1 KiB messages of {@link LogWriterChild#stamped}. */
    private static final String SMALL = "?segmentSize=8k";

    /** Sends messages {@code from} to {@code to} - 1, of about 1 KiB each. */
    private void send(int from, int to, String query) throws IOException {
        try (MessageSender sender = Conduit.openSender(log + query)) {
            for (int i = from; i < to; i++) {
                sender.send(LogWriterChild.stamped(100 + i));
            }
        }
    }

    /** @return the greatest segment base a receiver's registration file names, or -1 */
    private long registered() {
        try (var files = Files.newDirectoryStream(path, ".reader-*")) {
            long most = -1;
            for (Path f : files) {
                most = Math.max(most, Long.parseLong(Files.readString(f).trim()));
            }
            return most;
        } catch (IOException | NumberFormatException e) {
            return -1; // replaced as we looked
        }
    }

    private int readers() {
        try {
            return LogInfo.of(path).readers();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int segments() {
        try {
            return bases().size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Long> bases() throws IOException {
        return LogInfo.of(path).segments().stream().map(LogInfo.SegmentInfo::base).toList();
    }

    @Test
    void bySizeASenderDeletesTheOldestWholeSegmentsAsItRollsOver() throws Exception {
        send(0, 30, SMALL);
        List<Long> all = bases();
        assertTrue(all.size() >= 8, "segments: " + all);
        send(30, 31, SMALL + "&retain=24k"); // trims at open, and again if it rolls over
        Waits.until("the sender's trims", WAIT, () -> segments() == 3);
        assertTrue(bases().getFirst() >= all.get(all.size() - 3), bases() + " after " + all);
        send(31, 40, SMALL + "&retain=24k"); // and after each roll-over, in a thread of its own
        Waits.until("the sender's trims", WAIT, () -> segments() == 3);
        MessageReceiver r = receiver("?from=start");
        int first = LogWriterChild.check(r.receive(WAIT));
        assertTrue(first > 130, "read " + first + " after trimming");
    }

    @Test
    void byAgeASegmentGoesOnceTheOneAfterItWasMadeThatLongAgo() throws Exception {
        send(0, 10, SMALL);
        List<Long> all = bases();
        assertEquals(List.of(), LogInfo.trim(path, "1h"), "nothing is an hour old yet");
        // Segment 1 was made (so segment 0 was closed) two days ago.
        try (Segment s = Segment.map(path.resolve(String.format("%016x.log", all.get(1))), all.get(1))) {
            s.header.set(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), Segment.CREATED_AT,
                    (Instant.now().getEpochSecond() - 2 * 86400) * 1_000_000_000L);
        }
        assertEquals(List.of(path.resolve(String.format("%016x.log", all.get(0)))), LogInfo.trim(path, "1d"));
        assertEquals(all.subList(1, all.size()), bases());
    }

    @Test
    void theLastSegmentIsNeverDeleted() throws Exception {
        Conduit.openSender(log + SMALL + "&retain=1").close(); // a new log: one segment, kept
        assertEquals(List.of(0L), bases());
        send(0, 10, SMALL);
        LogInfo.trim(path, "1");
        assertEquals(1, bases().size());
    }

    @Test
    void aLiveReceiverBehindRetentionFailsByDefaultAndItsSegmentIsKeptUntilItLeaves() throws Exception {
        send(0, 10, SMALL);
        List<Long> all = bases();
        MessageReceiver behind = receiver("?from=start");
        assertEquals(100, LogWriterChild.check(behind.receive(WAIT)));
        assertEquals(List.of(), LogInfo.trim(path, "8k"), "deleted the segment a receiver is on");
        assertEquals(all, bases());
        assertTrue(LogInfo.of(path).segments().getFirst().retired());
        IOException e = assertThrows(IOException.class, () -> behind.receive(WAIT));
        assertEquals(log + "?from=start: receive: fell behind retention at position " + Segment.recordBytes(
                LogWriterChild.stamped(100).length) + ": its segment " + path.resolve("0000000000000000.log")
                + " is to be deleted; the oldest record kept is at " + all.get(1) + " (open with ?onTrimmed=oldest to"
                + " move on to it instead)", e.getMessage());
        behind.close();
        LogInfo.trim(path, "8k");
        assertEquals(List.of(all.getLast()), bases());
    }

    @Test
    void aLiveReceiverBehindRetentionMovesOnToTheOldestRecordKeptIfItChose() throws Exception {
        send(0, 10, SMALL);
        MessageReceiver behind = receiver("?from=start&onTrimmed=oldest");
        assertEquals(0, bases().getFirst());
        assertEquals(100, LogWriterChild.check(behind.receive(WAIT)));
        LogInfo.trim(path, "8k");
        assertEquals(103, LogWriterChild.check(behind.receive(WAIT)), "the first record of the second segment");
        List<Long> kept = bases();
        LogInfo.trim(path, "8k");
        assertEquals(kept.subList(1, kept.size()), bases(), "the receiver is on the second segment now");
    }

    @Test
    void aReceiverOpenedAtATrimmedPositionFailsOrStartsAtTheOldest() throws Exception {
        send(0, 10, SMALL);
        MessageReceiver early = receiver("?from=start");
        early.receive(WAIT);
        String saved = String.valueOf(dev.conduit.LogPosition.of(early));
        early.close();
        LogInfo.trim(path, "8k");
        long oldest = bases().getFirst();
        IOException e = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?from=" + saved));
        assertEquals(log + "?from=" + saved + ": open: position " + saved + " is in a segment that was deleted (by"
                + " retention, or by hand); the oldest record kept is at " + oldest + " (open with ?onTrimmed=oldest to"
                + " start there instead)", e.getMessage());
        MessageReceiver moved = receiver("?from=" + saved + "&onTrimmed=oldest");
        assertEquals(109, LogWriterChild.check(moved.receive(WAIT)));
    }

    @Test
    void aReceiverInAnotherProcessKeepsItsSegmentUntilItIsKilled() throws Exception {
        send(0, 200, SMALL);
        Process child = ChildJvm.builder(LogCursorChild.class, log + "?from=start", "199").start();
        try {
            // The child prints a 1000-byte line per message: it blocks once the pipe is full, about 65
            // messages in, with 135 left; whether it is still moving as the trim runs does not matter.
            Waits.until("the child registers on its tenth segment or later", WAIT,
                    () -> registered() >= 10 * 4096L && readers() == 1);
            List<Long> all = bases();
            List<Path> deleted = LogInfo.trim(path, "8k");
            List<Long> kept = bases();
            assertFalse(deleted.isEmpty(), "deleted nothing");
            assertTrue(kept.size() > 1, "deleted the segment the child is on: " + kept);
            assertTrue(LogInfo.of(path).segments().getFirst().retired());
            assertEquals(all.subList(all.size() - kept.size(), all.size()), kept);
            ChildJvm.kill(child);
            LogInfo.trim(path, "8k");
            assertEquals(List.of(all.getLast()), bases(), "the registration of a killed receiver keeps nothing");
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void twoTrimsAtOnceDeleteEachSegmentOnceWithoutFailing() throws Exception {
        for (int round = 0; round < 5; round++) {
            send(round * 30, round * 30 + 30, SMALL);
            List<Long> all = bases();
            CompletableFuture<List<Path>> other = CompletableFuture.supplyAsync(() -> {
                try {
                    return LogInfo.trim(path, "8k");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<Path> mine = LogInfo.trim(path, "8k");
            List<Path> theirs = other.get(30, TimeUnit.SECONDS);
            assertEquals(List.of(all.getLast()), bases());
            assertEquals(all.size() - 1, mine.size() + theirs.size(), mine + " and " + theirs);
        }
    }

    @Test
    void aRegistrationOfADeadProcessKeepsNothing() throws Exception {
        send(0, 10, SMALL);
        Process p = new ProcessBuilder("true").start();
        assertEquals(0, p.waitFor());
        Path stale = path.resolve(".reader-" + p.pid() + "-0-1");
        Files.writeString(stale, "0");
        assertFalse(LogInfo.trim(path, "16k").isEmpty());
        assertFalse(Files.exists(stale));
        assertEquals(2, bases().size());
    }

    @Test
    void refusesAMalformedOrAmbiguousRetention() {
        assertEquals("endpoint '" + log + "?retain=10m': retain=10m (expected an age such as 7d, 12h or 90s, a size"
                + " such as 10g or 512mib, or both separated by a comma: '10m' could be minutes or mebibytes (write"
                + " 10mib for bytes, or the age in s or h))", assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(log + "?retain=10m")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(log + "?retain=soon"));
        assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(log + "?retain=0"));
        assertEquals("endpoint '" + log + "?retain=7d': retain is a sender's option; this end does not take it",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver(log + "?retain=7d"))
                        .getMessage());
        assertEquals(new Retention(TimeUnit.DAYS.toNanos(7), 10L << 30), Retention.parse("7d,10g", "x"));
        assertEquals("endpoint '" + log + "?onTrimmed=skip': onTrimmed=skip (expected fail or oldest)",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver(log + "?onTrimmed=skip"))
                        .getMessage());
    }
}
