package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.Units;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code ?retain=}: how much of a log to keep, by age ({@code 7d}, {@code 12h}, {@code 90s}),
 * by size ({@code 10g}, {@code 512m}), or both ({@code 7d,10g}), and the trim that applies it.
 * Only whole segments are deleted, oldest first, never the last one, and never one a live
 * receiver is on ({@link Readers}): that one is retired instead (a word in its header), so the
 * receiver moves on or fails as it chose ({@code ?onTrimmed=}), and a later trim deletes it.
 *
 * @param ageNanos a segment whose records are all older than this is deleted; 0 for no limit
 * @param bytes    the most bytes the segment files may take together; 0 for no limit
 */
record Retention(long ageNanos, long bytes) {
    /** {@code ?retain=}. */
    static final String RETAIN = "retain";

    /** @return the endpoint's {@code retain}, or null if it has none */
    static Retention of(Endpoint endpoint) {
        return endpoint.option(RETAIN).map(v -> parse(v, "endpoint '" + endpoint + "': " + RETAIN + "=" + v))
                .orElse(null);
    }

    /**
     * @param text    limits separated by commas: an age ({@code d}, {@code h}, {@code s}, {@code ms}
     *                ...) or a size ({@code k}, {@code m}, {@code g}, a number of bytes)
     * @param context how to quote the value in an error
     * @throws IllegalArgumentException quoting {@code context} if a limit is neither
     */
    static Retention parse(String text, String context) {
        long age = 0;
        long bytes = 0;
        for (String limit : text.split(",", -1)) {
            String l = limit.strip().toLowerCase(Locale.ROOT);
            try {
                if (l.matches("[0-9]{1,9}d")) {
                    age = Duration.ofDays(Long.parseLong(l.substring(0, l.length() - 1))).toNanos();
                } else if (l.matches("[0-9]+(h|s|ms|us|ns)")) {
                    age = Units.parseDuration(l).toNanos();
                } else if (l.matches("[0-9]+m")) {
                    throw new IllegalArgumentException("'" + limit + "' could be minutes or mebibytes (write "
                            + l.replace("m", "") + "mib for bytes, or the age in s or h)");
                } else {
                    bytes = Units.parseSize(l);
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException(context + " (expected an age such as 7d, 12h or 90s, a size such"
                        + " as 10g or 512mib, or both separated by a comma: " + e.getMessage() + ")", e);
            }
        }
        if (age == 0 && bytes == 0) {
            throw new IllegalArgumentException(context + " (expected a limit above zero, such as 7d or 10g)");
        }
        return new Retention(age, bytes);
    }

    /**
     * Deletes the old segments this retention no longer keeps, and retires the first of them
     * that a live receiver is on (keeping it and everything after it).
     *
     * @return the files deleted, oldest first
     * @throws IOException if the directory cannot be listed or a segment cannot be deleted
     */
    List<Path> trim(LogDirectory directory) throws IOException {
        List<Path> deleted = new ArrayList<>();
        TreeMap<Long, Path> segments = directory.list();
        if (segments.size() < 2) {
            return deleted; // the last segment is never deleted
        }
        Map<Long, Long> sizes = new HashMap<>();
        long total = 0;
        for (Map.Entry<Long, Path> e : segments.entrySet()) {
            sizes.put(e.getKey(), size(e.getValue()));
            total += sizes.get(e.getKey());
        }
        Instant clock = Instant.now();
        long now = clock.getEpochSecond() * 1_000_000_000L + clock.getNano();
        Map.Entry<Long, Path> s = segments.firstEntry();
        for (Map.Entry<Long, Path> next = segments.higherEntry(s.getKey()); next != null;
                s = next, next = segments.higherEntry(next.getKey())) {
            boolean tooBig = bytes > 0 && total > bytes;
            boolean tooOld = ageNanos > 0 && closedAt(next.getValue(), next.getKey()) < now - ageNanos;
            if (!tooBig && !tooOld) {
                break;
            }
            total -= sizes.get(s.getKey());
            try (Segment segment = Segment.map(s.getValue(), s.getKey())) {
                segment.retire();
            } catch (NoSuchFileException e) {
                continue; // another trim (another sender's) deleted it first
            }
            if (Readers.live(directory.path).contains(s.getKey())) {
                break;
            }
            if (Files.deleteIfExists(s.getValue())) {
                deleted.add(s.getValue());
            }
        }
        return deleted;
    }

    /** @return the file's size; 0 if another trim deleted it meanwhile */
    private static long size(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    /**
     * @return when the segment before the one at {@code base} was closed, in nanoseconds since the
     *         epoch: when this one was made (its header, or its file's time before version 3)
     */
    private static long closedAt(Path file, long base) throws IOException {
        try (Segment next = Segment.map(file, base)) {
            long created = next.created();
            if (created != Long.MIN_VALUE) {
                return created;
            }
            Instant modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
            return modified.getEpochSecond() * 1_000_000_000L + modified.getNano();
        } catch (NoSuchFileException e) {
            return Long.MIN_VALUE; // deleted by another trim: so was the one before it, or it will be
        }
    }
}
