package dev.conduit;

import dev.conduit.internal.log.LogReceiver;

import java.util.List;
import java.util.Objects;

/**
 * The damage a {@code log:} receiver opened with {@code ?onDamage=skip} went past: how many
 * damaged places, how many bytes of the log it passed over at them, and the reports of the most
 * recent ones. A receiver with the default {@code ?onDamage=stop} throws
 * {@link LogDamagedException} at the first instead, so its count stays 0.
 *
 * @param places  damaged places skipped so far, 0 or more
 * @param bytes   bytes of the log passed over at them (a grown segment file adds a place but no bytes)
 * @param reports the reports of the most recent places, oldest first, at most {@value #KEPT}
 */
public record LogDamage(long places, long bytes, List<LogDamagedException> reports) {
    /** How many of the most recent reports a receiver keeps. */
    public static final int KEPT = 64;

    /**
     * Makes a report of damage skipped; {@code reports} is copied.
     *
     * @throws IllegalArgumentException if a count is negative
     * @throws NullPointerException     if {@code reports} is or contains {@code null}
     */
    public LogDamage {
        if (places < 0 || bytes < 0) {
            throw new IllegalArgumentException("log damage of " + places + " places, " + bytes + " bytes (expected >= 0)");
        }
        reports = List.copyOf(reports);
    }

    /**
     * The damage {@code receiver} skipped so far. Never blocks; any thread may call it, and it
     * sees every skip made before the last message the receiving thread was handed.
     *
     * @param receiver a receiver opened on a {@code log:} endpoint
     * @return its damage so far
     * @throws IllegalArgumentException if {@code receiver} is not a {@code log:} receiver
     */
    public static LogDamage of(MessageReceiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (receiver instanceof LogReceiver log) {
            return log.damage();
        }
        throw new IllegalArgumentException("LogDamage.of: " + receiver + " is not a log: receiver");
    }
}
