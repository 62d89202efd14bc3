package dev.conduit.internal;

import dev.conduit.Endpoint;
import dev.conduit.internal.frame.Frames;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Typed reading of endpoint options, with errors that name the endpoint, option and value. */
public final class Options {
    /** The option that bounds message length on every transport. */
    public static final String MAX_FRAME = "maxFrame";

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})([kmg]i?b?)?");

    private Options() {
    }

    /**
     * @param endpoint the endpoint
     * @return its {@code maxFrame} option, or 16 MiB
     * @throws IllegalArgumentException if it is not a size from 0 to 2^31-1
     */
    public static int maxFrame(Endpoint endpoint) {
        return (int) size(endpoint, MAX_FRAME, Frames.DEFAULT_MAX_FRAME, 0, Frames.MAX_FRAME_LIMIT);
    }

    /**
     * Reads a byte count: digits, optionally followed by {@code k}, {@code m} or {@code g}
     * (powers of 1024; {@code KiB}, {@code MB} and the like are read the same way).
     *
     * @return the value, or {@code defaultValue} if the option is absent
     * @throws IllegalArgumentException if malformed or outside {@code [min, max]}
     */
    public static long size(Endpoint endpoint, String name, long defaultValue, long min, long max) {
        String text = endpoint.option(name).orElse(null);
        if (text == null) {
            return defaultValue;
        }
        Matcher m = SIZE.matcher(text.toLowerCase(Locale.ROOT));
        long value = -1;
        if (m.matches()) {
            int shift = m.group(2) == null ? 0 : switch (m.group(2).charAt(0)) {
                case 'k' -> 10;
                case 'm' -> 20;
                default -> 30;
            };
            try {
                long base = Long.parseLong(m.group(1));
                value = base > (Long.MAX_VALUE >> shift) ? -1 : base << shift;
            } catch (NumberFormatException e) {
                value = -1;
            }
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + name + "=" + text
                    + " (expected a size from " + min + " to " + max + " bytes, e.g. 65536 or 64k)");
        }
        return value;
    }

    /**
     * @return the option as an octal file mode, or {@code defaultValue} if absent
     * @throws IllegalArgumentException if not an octal number from 0 to 0777
     */
    public static int mode(Endpoint endpoint, String name, int defaultValue) {
        String text = endpoint.option(name).orElse(null);
        if (text == null) {
            return defaultValue;
        }
        if (!text.matches("0?[0-7]{1,3}")) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + name + "=" + text
                    + " (expected an octal mode from 000 to 777, e.g. 0600)");
        }
        return Integer.parseInt(text, 8);
    }

    /** @return the option split at commas, blanks dropped; empty if absent */
    public static List<String> list(Endpoint endpoint, String name) {
        return endpoint.option(name)
                .map(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }
}
