package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.LogDamagedException;
import dev.conduit.LogInfo;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Append times (format version 3) and {@code ?from=TIME}; segments of versions 1 and 2, which
 * have no times, read and appended to; a later version refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogTimeTest extends LogFixture {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void eachRecordCarriesTheWallClockTimeItWasAppendedAt() throws Exception {
        MessageReceiver r = receiver("?from=start");
        assertEquals(Optional.empty(), LogPosition.timeOf(r));
        Instant before = Instant.now();
        try (MessageSender s = Conduit.openSender(log + "?time=precise")) {
            s.send("now");
        }
        Instant after = Instant.now();
        r.receive(WAIT);
        Instant at = LogPosition.timeOf(r).orElseThrow();
        assertFalse(at.isBefore(before) || at.isAfter(after), at + " not in [" + before + ", " + after + "]");
        assertEquals(Optional.of(at), LogInfo.of(path).segments().getFirst().firstTime());
    }

    /** The default: the clock as of the last timer tick, at most a tick (10 ms at 100 Hz) old. */
    @Test
    void aCoarseTimeIsAtMostATimerTickOld() throws Exception {
        MessageReceiver r = receiver("?from=start");
        Instant before = Instant.now();
        try (MessageSender s = Conduit.openSender(log)) {
            s.send("about now");
        }
        Instant after = Instant.now();
        r.receive(WAIT);
        Instant at = LogPosition.timeOf(r).orElseThrow();
        assertFalse(at.isBefore(before.minusMillis(20)) || at.isAfter(after),
                at + " not in [" + before + " - 20 ms, " + after + "]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(log + "?time=exact"));
        assertEquals("endpoint '" + log + "?time=exact': time=exact (expected coarse or precise)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver(log + "?time=precise"));
    }

    @Test
    void fromATimeStartsAtTheFirstRecordAppendedAtOrAfterIt() throws Exception {
        int count = 60;
        try (MessageSender s = Conduit.openSender(log + "?segmentSize=8k")) {
            for (int i = 0; i < count; i++) {
                s.send(LogWriterChild.stamped(i)); // about 1 KiB each: 20 segments
            }
        }
        List<Instant> times = new ArrayList<>();
        try (MessageReceiver all = Conduit.openReceiver(log + "?from=start")) {
            for (int i = 0; i < count; i++) {
                all.receive(WAIT);
                times.add(LogPosition.timeOf(all).orElseThrow());
            }
        }
        for (int k : new int[] {0, 1, 17, 31, 45, count - 1}) {
            Instant t = times.get(k).plusNanos(k % 2); // exactly a record's time, or just after it
            int expected = 0;
            while (expected < count && times.get(expected).isBefore(t)) {
                expected++;
            }
            try (MessageReceiver from = Conduit.openReceiver(log + "?from=" + t)) {
                if (expected == count) {
                    assertNull(from.receive(Duration.ofMillis(50)), "from=" + t + ", after the last record");
                } else {
                    assertEquals(expected, LogWriterChild.check(from.receive(WAIT)), "from=" + t);
                }
            }
        }
    }

    @Test
    void fromATimeStillToComeWaitsForARecordAppendedThen() throws Exception {
        try (MessageSender s = Conduit.openSender(log)) {
            s.send("before");
            MessageReceiver r = receiver("?from=" + Instant.now().plus(Duration.ofDays(1)));
            s.send("also before");
            assertNull(r.receive(Duration.ofMillis(100)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-12-06T10:00", "2026-13-01T00:00Z", "2026-12-06T10:00:00%2B25:00"})
    void refusesALocalTimeAndAMalformedOne(String time) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(log + "?from=" + time));
        assertTrue(e.getMessage().endsWith("from=" + time.replace("%2B", "+") + " (expected an ISO-8601 time with its offset, such as"
                + " 2026-12-06T10:00Z or 2026-12-06T11:00:00.5+01:00; a local time without Z or an offset is refused,"
                + " since every process may have its own zone)"), e.getMessage());
    }

    @Test
    void anOffsetIsTheSameInstantAsZ() throws Exception {
        try (MessageSender s = Conduit.openSender(log)) {
            s.send("one");
        }
        Instant future = Instant.now().plus(Duration.ofHours(1));
        MessageReceiver z = receiver("?from=" + future);
        MessageReceiver plusTwo = receiver("?from=" + future.atOffset(ZoneOffset.ofHours(2)));
        MessageReceiver encoded = receiver("?from=" + future.atOffset(ZoneOffset.ofHours(2)).toString()
                .replace("+", "%2B"));
        assertEquals(LogPosition.of(z), LogPosition.of(plusTwo));
        assertEquals(LogPosition.of(z), LogPosition.of(encoded));
    }

    @ParameterizedTest
    @ValueSource(ints = {Segment.UNSTAMPED_VERSION, Segment.UNTIMED_VERSION})
    void anOlderSegmentIsReadAndAppendedToInItsOwnLayoutAndTheNextIsVersion3(int version) throws Exception {
        try (MessageSender s = Conduit.openSender(log + "?segmentSize=8k")) {
            s.send("made");
        }
        Path first = path.resolve("0000000000000000.log");
        try (Segment s = Segment.map(first, 0)) {
            // An old writer's segment: the same header, the old version, records without times.
            s.header.set(U32, Segment.VERSION_AT, version);
            s.data.fill((byte) 0);
            s.setTailHint(0);
        }
        try (MessageSender s = Conduit.openSender(log)) {
            for (int i = 0; i < 20; i++) {
                s.send(LogWriterChild.stamped(i)); // rolls over into new segments
            }
        }
        List<LogInfo.SegmentInfo> segments = LogInfo.of(path).segments();
        assertEquals(version, segments.getFirst().version());
        assertEquals(Segment.VERSION, segments.getLast().version());
        assertEquals(Optional.empty(), segments.getFirst().firstTime());
        MessageReceiver r = receiver("?from=start");
        boolean timed = false;
        for (int i = 0; i < 20; i++) {
            assertEquals(i, LogWriterChild.check(r.receive(WAIT)));
            timed |= LogPosition.timeOf(r).isPresent();
        }
        assertTrue(timed, "no record of the new segment has a time");
        // Records without a time count as older than any: a time seeks past them.
        MessageReceiver fromEpoch = receiver("?from=1970-01-01T00:00Z");
        int firstTimed = LogWriterChild.check(fromEpoch.receive(WAIT));
        assertTrue(LogPosition.timeOf(fromEpoch).isPresent() && firstTimed > 0, "from a time read " + firstTimed);
    }

    @Test
    void aSegmentOfALaterVersionIsRefused() throws Exception {
        try (MessageSender s = Conduit.openSender(log)) {
            s.send("made");
        }
        Path first = path.resolve("0000000000000000.log");
        try (Segment s = Segment.map(first, 0)) {
            s.header.set(U32, Segment.VERSION_AT, Segment.VERSION + 1);
        }
        LogDamagedException e = assertThrows(LogDamagedException.class, () -> Conduit.openReceiver(log + "?from=start"));
        assertTrue(e.getMessage().contains("not a segment: header says version 4, 4096 header bytes, 67108864 bytes,"
                + " base 0; expected version 1 to 3, "), e.getMessage());
    }
}
