package dev.conduit.spi.support;

import dev.conduit.Endpoint;
import dev.conduit.internal.Options;

import java.util.List;

/**
 * Reads endpoint options in Conduit's grammar (sizes such as {@code 64k}, durations such as
 * {@code 50us} or {@code 5m}: {@link dev.conduit.Units}), so a plugged-in transport's options
 * read, and fail, as the built-in ones do. Every error is an {@link IllegalArgumentException}
 * quoting the endpoint ({@linkplain Endpoint#redacted() redacted}), the option and the value.
 * Stateless and thread-safe.
 */
public final class EndpointOptions {
    /** The option that bounds message length on every transport: {@value}. */
    public static final String MAX_FRAME = Options.MAX_FRAME;
    /** How long a receiver spins before it sleeps, e.g. {@code 20us}: {@value}. */
    public static final String SPIN = Options.SPIN;

    private EndpointOptions() {
    }

    /**
     * Reads {@value #MAX_FRAME}, the longest message either side sends.
     *
     * @param endpoint the endpoint
     * @return the option in bytes, or 16 MiB if it is absent (4 MiB for a bare local endpoint)
     * @throws IllegalArgumentException if it is not a size from 0 to 2^31-1
     */
    public static int maxFrame(Endpoint endpoint) {
        return Options.maxFrame(endpoint);
    }

    /**
     * Reads {@value #SPIN}, how long a waiting receiver spins before it sleeps.
     *
     * @param endpoint the endpoint
     * @return the option in nanoseconds: by default 50 µs on a machine with more than one CPU,
     *         0 on one; {@link Long#MAX_VALUE} for {@code forever}
     * @throws IllegalArgumentException if it is neither a duration from 0 to 1 s nor
     *                                  {@code forever}
     */
    public static long spinNanos(Endpoint endpoint) {
        return Options.spinNanos(endpoint);
    }

    /**
     * Reads a byte count: digits, optionally followed by {@code k}, {@code m} or {@code g}
     * (powers of 1024).
     *
     * @param endpoint     the endpoint
     * @param name         the option
     * @param defaultValue the value when the option is absent
     * @param min          the smallest value allowed
     * @param max          the largest value allowed
     * @return the value
     * @throws IllegalArgumentException if it is malformed or outside {@code [min, max]}
     */
    public static long size(Endpoint endpoint, String name, long defaultValue, long min, long max) {
        return Options.size(endpoint, name, defaultValue, min, max);
    }

    /**
     * Reads a duration: a number with a unit in the grammar of {@link dev.conduit.Units}
     * (e.g. {@code 50us}, {@code 5m}), or a bare number of {@code unitNanos}.
     *
     * @param endpoint     the endpoint
     * @param name         the option, e.g. {@code pingTimeout}
     * @param defaultNanos the value when the option is absent
     * @param unitNanos    what a bare number counts: 1,000 for microseconds, 1,000,000 for
     *                     milliseconds
     * @param maxNanos     the largest value allowed
     * @return the value in nanoseconds
     * @throws IllegalArgumentException if it is not a duration from 0 to {@code maxNanos}
     */
    public static long durationNanos(Endpoint endpoint, String name, long defaultNanos, long unitNanos,
            long maxNanos) {
        return Options.durationNanos(endpoint, name, defaultNanos, unitNanos, maxNanos);
    }

    /**
     * Reads a flag.
     *
     * @param endpoint     the endpoint
     * @param name         the option; written alone ({@code ?compress}) it is {@code true}
     * @param defaultValue the value when the option is absent
     * @return the value
     * @throws IllegalArgumentException if it is neither {@code true} nor {@code false}
     */
    public static boolean flag(Endpoint endpoint, String name, boolean defaultValue) {
        return Options.flag(endpoint, name, defaultValue);
    }

    /**
     * Reads a comma-separated list.
     *
     * @param endpoint the endpoint
     * @param name     the option
     * @return its items, trimmed, blanks dropped; empty if the option is absent
     */
    public static List<String> list(Endpoint endpoint, String name) {
        return Options.list(endpoint, name);
    }
}
