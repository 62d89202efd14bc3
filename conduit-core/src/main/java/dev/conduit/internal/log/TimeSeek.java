package dev.conduit.internal.log;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * {@code ?from=TIME}: where a receiver starts to find the first record appended at or after a
 * time. Segments are passed over whole while the next one was made before the time (less a
 * margin for a writer that read the clock late), then the records of the one found are walked
 * while they are older; the receiver passes over what is left of the older ones itself. Records
 * of segments older than version 3 have no time: they count as older than any. Stateless.
 */
final class TimeSeek {
    /** How late a writer may read the clock after its claim, for the segment skip: generous. */
    private static final long MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private TimeSeek() {
    }

    /**
     * @return the time {@code text} gives, in nanoseconds since the epoch, if it is an ISO-8601
     *         date and time with an offset ({@code 2026-12-06T10:00Z},
     *         {@code 2026-12-06T11:00:00.5+01:00}); {@link Long#MIN_VALUE} if it does not look like a
     *         date at all
     * @throws IllegalArgumentException quoting {@code context} if it looks like one but is not
     *                                  that (a local date and time without an offset, say)
     */
    static long parse(String text, String context) {
        if (!text.matches("[0-9]{4}-.*")) {
            return Long.MIN_VALUE;
        }
        try {
            // A '+' in a query means a space: "…T11:00+01:00" arrives as "…T11:00 01:00".
            OffsetDateTime t = OffsetDateTime.parse(text.replace(' ', '+'), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return Math.addExact(Math.multiplyExact(t.toEpochSecond(), 1_000_000_000L), t.getNano());
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException(context + " (expected an ISO-8601 time with its offset, such as"
                    + " 2026-12-06T10:00Z or 2026-12-06T11:00:00.5+01:00; a local time without Z or an offset is"
                    + " refused, since every process may have its own zone)", e);
        }
    }

    /**
     * @return a record boundary at or before the first record appended at or after {@code nanos},
     *         in the first segment retention keeps or later
     */
    static long start(LogDirectory directory, long nanos) throws IOException {
        TreeMap<Long, Path> segments = directory.list();
        if (segments.isEmpty()) {
            return 0;
        }
        long base = segments.lastKey();
        for (Map.Entry<Long, Path> e : segments.entrySet()) {
            Map.Entry<Long, Path> next = segments.higherEntry(e.getKey());
            if (next == null) {
                break;
            }
            try (Segment s = Segment.map(e.getValue(), e.getKey());
                    Segment n = Segment.map(next.getValue(), next.getKey())) {
                if (!s.retired() && s.version >= Segment.VERSION && n.created() >= nanos - MARGIN_NANOS) {
                    base = e.getKey();
                    break;
                }
            } catch (NoSuchFileException deleted) {
                // Trimmed as we looked: go on with the next.
            }
        }
        try (Segment s = Segment.map(segments.get(base), base)) {
            return base + olderRecords(s, nanos);
        }
    }

    /** @return the offset of the first record of {@code s} that is not committed, intact and older than {@code nanos} */
    private static long olderRecords(Segment s, long nanos) {
        CRC32C crc = new CRC32C();
        long at = 0;
        while (at + Segment.RECORD_HEADER <= s.readable) {
            long word = s.claimAcquire(at);
            int length = (int) word;
            long size = s.sizeOf(Integer.toUnsignedLong(length));
            if (word == 0 || length < 0 || at + size > s.readable || s.stateAcquire(at) != Segment.COMMITTED
                    || s.time(at) >= nanos || !Resync.checksumMatches(s, at, length, crc)) {
                break;
            }
            at += size;
        }
        return at;
    }
}
