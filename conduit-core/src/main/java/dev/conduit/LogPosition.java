package dev.conduit;

import dev.conduit.internal.log.LogInspector;
import dev.conduit.internal.log.LogReceiver;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A place in a {@code log:} endpoint's log: the byte offset, counted from the log's first
 * segment, where a record starts. A receiver reports the position after the last message it
 * handed out; a receiver opened with {@code ?from=} that position (its {@link #toString()})
 * goes on with the next message.
 *
 * <pre>{@code
 * MessageReceiver events = Conduit.openReceiver("log:/var/tmp/events?from=start");
 * handle(events.receive());
 * String saved = LogPosition.of(events).toString();          // keep it somewhere durable
 * ...
 * MessageReceiver later = Conduit.openReceiver("log:/var/tmp/events?from=" + saved);
 * }</pre>
 *
 * @param offset the position, 0 or more
 */
public record LogPosition(long offset) {
    /**
     * Makes a position from its byte offset.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public LogPosition {
        if (offset < 0) {
            throw new IllegalArgumentException("log position " + offset + " (expected >= 0)");
        }
    }

    /**
     * The position after the last message {@code receiver} handed out (by {@code receive},
     * {@code poll} or {@code onMessage}), or where it started if none yet. Never blocks; any
     * thread may call it, and it sees every message the receiving thread has been handed.
     *
     * @param receiver a receiver opened on a {@code log:} endpoint
     * @return its position
     * @throws IllegalArgumentException if {@code receiver} is not a {@code log:} receiver
     */
    public static LogPosition of(MessageReceiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (receiver instanceof LogReceiver log) {
            return new LogPosition(log.position());
        }
        throw new IllegalArgumentException("LogPosition.of: " + receiver + " is not a log: receiver");
    }

    /**
     * The time the last message {@code receiver} handed out was appended to the log: the wall
     * clock of its sender's machine when it claimed the record, to the nanosecond the clock
     * gives. Never blocks; call it from the thread that receives (in a handler, or after
     * {@code receive} returned).
     *
     * @param receiver a receiver opened on a {@code log:} endpoint
     * @return the time; empty if it has handed out no message yet, or if that message was in a
     *         segment written before records carried times (format version 1 or 2)
     * @throws IllegalArgumentException if {@code receiver} is not a {@code log:} receiver
     */
    public static Optional<Instant> timeOf(MessageReceiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (receiver instanceof LogReceiver log) {
            return LogInspector.instant(log.time());
        }
        throw new IllegalArgumentException("LogPosition.timeOf: " + receiver + " is not a log: receiver");
    }

    /**
     * Where the last message {@code receiver} handed out starts: a receiver opened with
     * {@code ?from=} this position reads that message again. Never blocks; call it from the
     * thread that receives.
     *
     * @param receiver a receiver opened on a {@code log:} endpoint
     * @return the position; empty if it has handed out no message yet
     * @throws IllegalArgumentException if {@code receiver} is not a {@code log:} receiver
     */
    public static Optional<LogPosition> startOf(MessageReceiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (receiver instanceof LogReceiver log) {
            long start = log.start();
            return start < 0 ? Optional.empty() : Optional.of(new LogPosition(start));
        }
        throw new IllegalArgumentException("LogPosition.startOf: " + receiver + " is not a log: receiver");
    }

    /**
     * The position as an endpoint option takes it.
     *
     * @return the offset in decimal, as {@code ?from=} takes it
     */
    @Override
    public String toString() {
        return Long.toString(offset);
    }
}
