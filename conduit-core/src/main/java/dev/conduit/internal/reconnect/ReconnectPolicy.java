package dev.conduit.internal.reconnect;

import dev.conduit.Endpoint;
import dev.conduit.internal.Options;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * When a client connection with {@code ?reconnect=true} dials again after losing its peer, and
 * how long a {@code send} waits for it meanwhile. The options, all on the client's endpoint:
 *
 * <pre>
 *   reconnect=true           re-dial after loss (default false)
 *   reconnectDelay=100ms     the wait before the first attempt; it doubles after each failure
 *   reconnectMaxDelay=5s     ... up to this
 *   reconnectJitter=0.2      each wait is moved by up to this fraction of itself, either way, at
 *                            random, so clients that lost one server do not all come back at once
 *   reconnectGiveUp=never    after this long down, stop: every call then fails (a duration, or never)
 *   downTimeout=5s           how long a send waits for the connection to come back before it
 *                            fails; 0 fails at once (a trySend never waits)
 * </pre>
 *
 * @param initialNanos  the first wait
 * @param maxNanos      the longest wait
 * @param jitter        the fraction of each wait moved at random, 0 to 1
 * @param giveUpNanos   how long to keep trying, or {@link Long#MAX_VALUE} for ever
 * @param downTimeoutNanos how long a send waits while the connection is down
 */
public record ReconnectPolicy(long initialNanos, long maxNanos, double jitter, long giveUpNanos,
        long downTimeoutNanos) {
    static final String RECONNECT = "reconnect";
    static final String DELAY = "reconnectDelay";
    static final String MAX_DELAY = "reconnectMaxDelay";
    static final String JITTER = "reconnectJitter";
    static final String GIVE_UP = "reconnectGiveUp";
    static final String DOWN_TIMEOUT = "downTimeout";
    /** The options this layer takes away before the transport sees the endpoint. */
    public static final Set<String> OPTIONS = Set.of(RECONNECT, DELAY, MAX_DELAY, JITTER, GIVE_UP, DOWN_TIMEOUT);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final long DAY = TimeUnit.DAYS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * @return whether {@code endpoint} asks a client to re-dial ({@code ?reconnect=true})
     * @throws IllegalArgumentException if {@code reconnect} is not a flag, or a reconnect option
     *                                  comes without {@code reconnect=true}
     */
    public static boolean requested(Endpoint endpoint) {
        boolean on = Options.flag(endpoint, RECONNECT, false);
        if (!on) {
            for (String name : OPTIONS) {
                if (!name.equals(RECONNECT) && endpoint.option(name).isPresent()) {
                    throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name
                            + " needs reconnect=true");
                }
            }
        }
        return on;
    }

    /**
     * @return the policy the endpoint's options give
     * @throws IllegalArgumentException naming the endpoint and the option if one is malformed or
     *                                  out of range, or if the first wait exceeds the longest
     */
    public static ReconnectPolicy of(Endpoint endpoint) {
        long initial = Options.durationNanos(endpoint, DELAY, 100 * MS, MS, HOUR);
        long max = Options.durationNanos(endpoint, MAX_DELAY, Math.max(5_000 * MS, initial), MS, HOUR);
        if (initial > max) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + DELAY + " ("
                    + endpoint.option(DELAY).orElseThrow() + ") is longer than " + MAX_DELAY + " ("
                    + endpoint.option(MAX_DELAY).orElseThrow() + ")");
        }
        String giveUp = endpoint.option(GIVE_UP).orElse("never");
        long giveUpNanos = giveUp.equals("never") ? Long.MAX_VALUE
                : Options.durationNanos(endpoint, GIVE_UP, 0, MS, 365 * DAY);
        return new ReconnectPolicy(initial, max, jitter(endpoint), giveUpNanos,
                Options.durationNanos(endpoint, DOWN_TIMEOUT, 5_000 * MS, MS, HOUR));
    }

    private static double jitter(Endpoint endpoint) {
        String text = endpoint.option(JITTER).orElse("0.2");
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            value = Double.NaN;
        }
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + JITTER + "=" + text
                    + " (expected a fraction from 0 to 1, e.g. 0.2)");
        }
        return value;
    }

    /** @return {@code endpoint} without this layer's options, for the layers and transport below */
    public static Endpoint strip(Endpoint endpoint) {
        Map<String, String> options = new LinkedHashMap<>(endpoint.options());
        options.keySet().removeAll(OPTIONS);
        return Endpoint.of(endpoint.scheme(), endpoint.address(), options);
    }

    /**
     * @param attempt the attempt about to be made, from 1
     * @param random  where the jitter comes from
     * @return the wait before it: {@code initial * 2^(attempt-1)}, at most {@code max}, moved by
     *         the jitter, never negative and never past {@code max}
     */
    public long delayNanos(int attempt, RandomGenerator random) {
        long base = initialNanos;
        for (int i = 1; i < attempt && base < maxNanos; i++) {
            base = Math.min(maxNanos, base * 2);
        }
        double moved = base * (1 + jitter * (2 * random.nextDouble() - 1));
        return Math.clamp((long) moved, 0, maxNanos);
    }
}
