package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.LogDamage;
import dev.conduit.LogDamagedException;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damage to a log's files, in every way the format can be damaged, read with {@code onDamage=stop}
 * (the receiver throws {@link LogDamagedException} naming the file, the position and what is
 * wrong, and keeps its position there) and with {@code skip} (it reads every intact record,
 * counts the damage, and reads what is sent after it).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogDamageTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final List<String> RECORDS = List.of("zero", "one", "two: the damaged one", "three", "four");
    private static final int DAMAGED = 2;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private TempDir dir;
    private String log;
    private Path first;

    /** The ways a record or segment is damaged, and the words the report says it with. */
    enum Damage {
        LENGTH_PAST_THE_SEGMENT("bytes runs past the end of the segment's 4096 data bytes"),
        LENGTH_CHANGED_WITHIN_THE_SEGMENT("does not match the payload's"),
        CHECKSUM("does not match the payload's"),
        JUNK_STATE("state word 0x5a5a on a record of"),
        END_MID_SEGMENT("an END marker before records claimed up to position"),
        SEGMENT_CUT_SHORT("the file is 8187 bytes; its header says 8192 (cut short: 5 bytes missing)"),
        SEGMENT_GROWN("the file is 8195 bytes; its header says 8192 (3 bytes added)");

        final String says;

        Damage(String says) {
            this.says = says;
        }

        boolean ofTheFile() {
            return this == SEGMENT_CUT_SHORT || this == SEGMENT_GROWN;
        }
    }

    @BeforeEach
    void writeRecords() throws IOException {
        dir = new TempDir();
        log = "log:" + dir.resolve("log");
        first = dir.resolve("log").resolve("0000000000000000.log");
        try (MessageSender sender = Conduit.openSender(log + "?segmentSize=8k")) {
            for (String r : RECORDS) {
                sender.send(r);
            }
        }
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

    private MessageReceiver receiver(String query) throws IOException {
        MessageReceiver r = Conduit.openReceiver(log + query);
        resources.add(r);
        return r;
    }

    /** @return the offset of record {@code index} of the first segment */
    private static long offsetOf(int index) {
        long at = 0;
        for (int i = 0; i < index; i++) {
            at += Segment.recordBytes(RECORDS.get(i).length());
        }
        return at;
    }

    private void damage(Damage how) throws IOException {
        long at = offsetOf(DAMAGED);
        int length = RECORDS.get(DAMAGED).length();
        switch (how) {
            case SEGMENT_CUT_SHORT, SEGMENT_GROWN -> {
                try (FileChannel f = FileChannel.open(first, StandardOpenOption.WRITE)) {
                    if (how == Damage.SEGMENT_CUT_SHORT) {
                        f.truncate(f.size() - 5);
                    } else {
                        f.write(ByteBuffer.wrap(new byte[3]), f.size());
                    }
                }
                return;
            }
            default -> {
            }
        }
        try (Segment s = Segment.map(first, 0)) {
            switch (how) {
                case LENGTH_PAST_THE_SEGMENT -> s.data.set(U32, at, 0x7FFF_FFF0);
                case LENGTH_CHANGED_WITHIN_THE_SEGMENT -> s.data.set(U32, at, length + 9);
                case CHECKSUM -> s.data.set(U32, at + Segment.CRC, s.crc(at) ^ 0x100);
                case JUNK_STATE -> s.data.set(U32, at + Segment.STATE, 0x5a5a);
                case END_MID_SEGMENT -> {
                    s.data.set(U32, at, Segment.END_LENGTH);
                    s.data.set(U32, at + Segment.STATE, Segment.END);
                }
                default -> throw new AssertionError(how);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void stopThrowsNamingTheFileThePositionAndWhatIsWrong(Damage how) throws Exception {
        damage(how);
        try (MessageSender after = Conduit.openSender(log)) {
            after.send("after the damage");
        }
        MessageReceiver receiver = receiver("?from=start");
        int intact = how.ofTheFile() ? RECORDS.size() : DAMAGED;
        for (int i = 0; i < intact; i++) {
            assertEquals(RECORDS.get(i), receiver.receiveString(WAIT));
        }
        LogPosition before = LogPosition.of(receiver);
        LogDamagedException e = assertThrows(LogDamagedException.class, () -> receiver.receive(WAIT));
        assertEquals(first, e.segment());
        assertTrue(e.getMessage().startsWith(log + "?from=start: receive: damaged log at position " + e.position()
                + " (" + first + "): "), e.getMessage());
        assertTrue(e.problem().contains(how.says), e.problem());
        assertTrue(e.problem().endsWith("; open with ?onDamage=skip to go on past it"), e.problem());
        if (how.ofTheFile()) {
            // Found at the end of the segment's records (the file's end, past a lost END).
            assertEquals(how == Damage.SEGMENT_CUT_SHORT ? 4088 : 4096, e.position());
        } else {
            assertEquals(offsetOf(DAMAGED), e.position());
            assertEquals(before, LogPosition.of(receiver), "a stopped receiver moved past the damage");
        }
        // Stopping is not losing: a receiver from where it stopped meets the damage again.
        MessageReceiver again = receiver("?from=" + before);
        assertThrows(LogDamagedException.class, () -> again.receive(WAIT));
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void skipReadsEveryIntactRecordCountsTheDamageAndReadsWhatComesAfter(Damage how) throws Exception {
        damage(how);
        MessageReceiver receiver = receiver("?from=start&onDamage=skip");
        for (int i = 0; i < RECORDS.size(); i++) {
            if (i != DAMAGED || how.ofTheFile()) {
                assertEquals(RECORDS.get(i), receiver.receiveString(WAIT));
            }
        }
        try (MessageSender after = Conduit.openSender(log)) {
            after.send("after the damage");
            assertEquals("after the damage", receiver.receiveString(WAIT));
            after.send("and more");
            assertEquals("and more", receiver.receiveString(WAIT));
        }
        assertNull(receiver.tryReceive());
        LogDamage damage = LogDamage.of(receiver);
        assertEquals(1, damage.places(), damage.toString());
        assertEquals(1, damage.reports().size());
        assertTrue(damage.reports().getFirst().problem().contains(how.says), damage.toString());
        // The position a skipping receiver reports is one a receiver may be opened at.
        MessageReceiver resumed = receiver("?onDamage=skip&from=" + LogPosition.of(receiver));
        assertNull(resumed.tryReceive());
    }

    @Test
    void aRecordWhoseWriterPidWasReusedIsSkippedNotWaitedFor() throws Exception {
        Process reused = new ProcessBuilder("sleep", "60").start();
        try {
            int pid = (int) reused.pid();
            int stamp = Writers.stamp(pid);
            assertTrue(stamp != 0, "no start time for " + pid);
            long at;
            try (Segment s = Segment.map(first, 0)) {
                at = s.tailHint();
                // Claimed by a writer with this pid that started at another time: it died, and
                // the pid now names another process.
                assertTrue(s.claim(at, Segment.claimWord(7, pid)));
                s.setTailHint(at + Segment.recordBytes(7));
                s.stamp(at, stamp ^ 1);
            }
            try (MessageSender sender = Conduit.openSender(log)) {
                sender.send("after the dead writer's claim");
            }
            for (String query : List.of("?from=start", "?from=start&onDamage=skip")) {
                MessageReceiver receiver = receiver(query);
                for (String r : RECORDS) {
                    assertEquals(r, receiver.receiveString(WAIT));
                }
                assertEquals("after the dead writer's claim", receiver.receiveString(WAIT), query);
                assertEquals(0, LogDamage.of(receiver).places());
            }
            // The same claim stamped with the process's own start time is its writer's: waited for.
            try (Segment s = Segment.map(first, 0)) {
                s.stamp(at, stamp);
            }
            MessageReceiver waiting = receiver("?from=" + at + "&spin=0");
            assertNull(waiting.receive(Duration.ofMillis(150)), "passed a record its live writer may commit");
        } finally {
            reused.destroyForcibly();
            reused.waitFor();
        }
    }

    @Test
    void refusesAMalformedOnDamage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(log + "?onDamage=ignore"));
        assertEquals("endpoint '" + log + "?onDamage=ignore': onDamage=ignore (expected stop or skip)",
                e.getMessage());
        assertEquals("endpoint '" + log + "?onDamage=skip': onDamage is a receiver's option; this end does not take"
                + " it", assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(log + "?onDamage=skip")).getMessage());
    }
}
