package dev.conduit;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one grammar for durations and byte counts, shared by endpoint options
 * ({@code ?spin=50us}, {@code ?maxFrame=64k}) and the {@code conduit} command's flags
 * ({@code --timeout 500ms}, {@code --size 64k}), so that a value written for one is read the
 * same way by the other.
 *
 * <ul>
 *   <li>A duration is a whole number and a unit: {@code ns}, {@code us} (or {@code µs}),
 *       {@code ms}, {@code s}, {@code m} or {@code h}, such as {@code 50us}, {@code 500ms},
 *       {@code 5s} or {@code 1m}. Endpoint options that document a unit for bare numbers (such
 *       as {@code ?spin=}, in microseconds) also take a number alone.</li>
 *   <li>A byte count is a whole number, optionally followed by {@code k}, {@code m} or
 *       {@code g}, powers of 1024; {@code KiB}, {@code MB} and the like are read the same way,
 *       in any case: {@code 65536}, {@code 64k} and {@code 64KiB} are one value.</li>
 * </ul>
 *
 * <p>Stateless; every method may be called from any thread.
 */
public final class Units {
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ns|us|µs|ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})([kmg]i?b?)?");

    private Units() {
    }

    /**
     * Reads a duration. Does not block.
     *
     * @param text a whole number and a unit, such as {@code 500ms}; surrounding blanks and the
     *             unit's case do not matter
     * @return the duration, zero or positive
     * @throws IllegalArgumentException if {@code text} is not of that form, quoting it and the
     *                                  form expected
     */
    public static Duration parseDuration(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text + "' (expected a whole number and a"
                    + " unit ns, us, ms, s, m or h, e.g. 50us, 500ms, 5s or 1m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ns" -> Duration.ofNanos(n);
            case "us", "µs" -> Duration.ofNanos(n * 1_000);
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /**
     * Writes a duration so that {@link #parseDuration} reads it back: in the largest unit that
     * is exact, such as {@code 5s}, {@code 1500ms} or {@code 20us}. Does not block.
     *
     * @param duration a duration, zero or positive
     * @return its text
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("negative duration " + duration);
        }
        long seconds = duration.getSeconds();
        int nanos = duration.getNano();
        if (nanos == 0) {
            if (seconds != 0 && seconds % 3600 == 0) {
                return seconds / 3600 + "h";
            }
            if (seconds != 0 && seconds % 60 == 0) {
                return seconds / 60 + "m";
            }
            return seconds + "s";
        }
        long totalNanos = duration.toNanos();
        if (totalNanos % 1_000_000 == 0) {
            return totalNanos / 1_000_000 + "ms";
        }
        return totalNanos % 1_000 == 0 ? totalNanos / 1_000 + "us" : totalNanos + "ns";
    }

    /**
     * Reads a byte count. Does not block.
     *
     * @param text a whole number, optionally followed by {@code k}, {@code m} or {@code g}
     *             (powers of 1024; {@code KiB}, {@code MB} and the like too), in any case
     * @return the number of bytes, zero or positive
     * @throws IllegalArgumentException if {@code text} is not of that form or the value does not
     *                                  fit a {@code long}, quoting it and the form expected
     */
    public static long parseSize(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            int shift = m.group(2) == null ? 0 : switch (m.group(2).charAt(0)) {
                case 'k' -> 10;
                case 'm' -> 20;
                default -> 30;
            };
            try {
                long base = Long.parseLong(m.group(1));
                if (base <= (Long.MAX_VALUE >> shift)) {
                    return base << shift;
                }
            } catch (NumberFormatException e) {
                // Too many digits for a long: refused below.
            }
        }
        throw new IllegalArgumentException("invalid size '" + text + "' (expected a whole number of bytes,"
                + " optionally followed by k, m or g, e.g. 65536 or 64k)");
    }
}
