package dev.conduit.internal;

import dev.conduit.Endpoint;
import dev.conduit.Units;
import dev.conduit.internal.frame.Frames;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** Typed reading of endpoint options, with errors that name the endpoint, option and value. */
public final class Options {
    /** The option that bounds message length on every transport. */
    public static final String MAX_FRAME = "maxFrame";
    /** How long a receiver spins before it sleeps, e.g. {@code 20us}; {@code 0} never spins. */
    public static final String SPIN = "spin";
    /** {@code ?spin=forever}: never sleep, for a core given over to one connection. */
    static final String SPIN_FOREVER = "forever";
    /**
     * The default spin, where a core is free for it: longer than a blocking round trip on a local
     * socket (15-25 µs measured), or a receiver that once slept keeps finding its peer asleep too.
     */
    static final long DEFAULT_SPIN_NANOS = machineCpus() > 1 ? 50_000 : 0;

    private static final Pattern BARE_NUMBER = Pattern.compile("[0-9]{1,12}");


    private Options() {
    }

    /** ipcez's limit on a message, the default {@code maxFrame} of a bare local endpoint. */
    public static final int IPCEZ_MAX_FRAME = 4 << 20;

    /**
     * @param endpoint the endpoint
     * @return its {@code maxFrame} option, or 16 MiB (4 MiB, ipcez's limit, for a bare local endpoint)
     * @throws IllegalArgumentException if it is not a size from 0 to 2^31-1
     */
    public static int maxFrame(Endpoint endpoint) {
        boolean ipcez = endpoint.isBare() && !endpoint.scheme().startsWith("ws");
        return (int) size(endpoint, MAX_FRAME, ipcez ? IPCEZ_MAX_FRAME : Frames.DEFAULT_MAX_FRAME, 0,
                Frames.MAX_FRAME_LIMIT);
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
        long value;
        try {
            value = Units.parseSize(text);
        } catch (IllegalArgumentException e) {
            value = -1;
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name + "=" + text
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
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name + "=" + text
                    + " (expected an octal mode from 000 to 777, e.g. 0600)");
        }
        return Integer.parseInt(text, 8);
    }

    /**
     * @param endpoint the endpoint
     * @return its {@code spin} option in nanoseconds: 50 µs by default on a machine with more than
     *         one CPU, none on one CPU (a spinning receiver there only delays its sender)
     *         ({@link Long#MAX_VALUE} for {@code forever})
     * @throws IllegalArgumentException if it is neither a duration from 0 to 1 s nor {@code forever}
     */
    public static long spinNanos(Endpoint endpoint) {
        return spinNanos(endpoint, DEFAULT_SPIN_NANOS);
    }

    /**
     * As {@link #spinNanos(Endpoint)}, for a peer that is another thread of this process
     * ({@code mem:}): by default 50 µs only where this process may run on more than one CPU. Its
     * peer shares the process's affinity, so a process pinned to one CPU would spin on the CPU
     * its peer needs (the bench pins each process: a spinning {@code mem:} round trip took 57-108
     * µs there, against 5 µs without the spin).
     *
     * @throws IllegalArgumentException as {@link #spinNanos(Endpoint)}
     */
    public static long spinNanosInProcess(Endpoint endpoint) {
        return spinNanos(endpoint, Runtime.getRuntime().availableProcessors() > 1 ? DEFAULT_SPIN_NANOS : 0);
    }

    private static long spinNanos(Endpoint endpoint, long defaultNanos) {
        String text = endpoint.option(SPIN).orElse(null);
        if (text == null) {
            return defaultNanos;
        }
        if (text.equals(SPIN_FOREVER)) {
            return Long.MAX_VALUE;
        }
        return duration(endpoint, SPIN, text, 1_000, 1_000_000_000, "0, 20us, 1ms, or " + SPIN_FOREVER);
    }

    /**
     * @param endpoint     the endpoint
     * @param name         a duration option, such as {@code ackTimeout}
     * @param defaultNanos its value when absent
     * @param unitNanos    what a bare number counts: 1,000 for microseconds, 1,000,000 for milliseconds
     * @param maxNanos     the largest value allowed
     * @return the option in nanoseconds
     * @throws IllegalArgumentException if it is not a duration from 0 to {@code maxNanos}
     */
    public static long durationNanos(Endpoint endpoint, String name, long defaultNanos, long unitNanos,
            long maxNanos) {
        String text = endpoint.option(name).orElse(null);
        return text == null ? defaultNanos : duration(endpoint, name, text, unitNanos, maxNanos, "500ms or 5s");
    }

    private static long duration(Endpoint endpoint, String name, String text, long unitNanos, long maxNanos,
            String examples) {
        long nanos;
        try {
            // A bare number counts in the option's own unit; anything else is the shared grammar.
            nanos = BARE_NUMBER.matcher(text).matches()
                    ? Math.multiplyExact(Long.parseLong(text), unitNanos)
                    : Units.parseDuration(text).toNanos();
        } catch (IllegalArgumentException | ArithmeticException e) {
            nanos = -1;
        }
        if (nanos < 0 || nanos > maxNanos) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name + "=" + text
                    + " (expected a duration from 0 to " + AbstractConnection.text(Duration.ofNanos(maxNanos))
                    + ", e.g. " + examples + ")");
        }
        return nanos;
    }

    /**
     * The machine's online CPUs, not this process's share: a process pinned to one CPU still has a
     * peer on another, and spinning there costs that peer nothing.
     */
    static int machineCpus() {
        try {
            return cpuCount(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        } catch (IOException | RuntimeException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /** @return how many CPUs a kernel CPU list such as {@code 0-3,8,10-11} names */
    static int cpuCount(String list) {
        int count = 0;
        for (String range : list.strip().split(",")) {
            int dash = range.indexOf('-');
            count += dash < 0 ? 1 : Integer.parseInt(range.substring(dash + 1)) - Integer.parseInt(range.substring(0, dash)) + 1;
        }
        return count;
    }

    /**
     * @return the option as {@code true} or {@code false}, or {@code defaultValue} if absent
     * @throws IllegalArgumentException if it is anything else
     */
    public static boolean flag(Endpoint endpoint, String name, boolean defaultValue) {
        String text = endpoint.option(name).orElse(null);
        if (text == null) {
            return defaultValue;
        }
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name + "="
                    + text + " (expected true or false)");
        };
    }

    /**
     * Refuses an option only the other end of a one-way transport takes.
     *
     * @param whose whose option it is, e.g. {@code a receiver's}
     * @throws IllegalArgumentException if the endpoint has it
     */
    public static void refuse(Endpoint endpoint, String name, String whose) {
        if (endpoint.option(name).isPresent()) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name + " is " + whose
                    + " option; this end does not take it");
        }
    }

    /** @return the option split at commas, blanks dropped; empty if absent */
    public static List<String> list(Endpoint endpoint, String name) {
        return endpoint.option(name)
                .map(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }
}
