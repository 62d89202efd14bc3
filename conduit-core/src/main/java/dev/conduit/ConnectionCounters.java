package dev.conduit;

import java.time.Duration;

/**
 * A reading of one connection's counters, from {@link Connection#counters()}. Each value is a
 * recent value of its counter, read without stopping the threads that update it; the values are
 * not a consistent snapshot across counters (a message may be in {@code messagesOut} but its
 * bytes not yet in {@code bytesOut}). Counters only grow, from zero when the connection was made.
 * Byte counts are of message payloads, not of framing or headers.
 *
 * @param messagesOut      messages this side sent (including those written and not yet flushed)
 * @param bytesOut         the payload bytes of those messages
 * @param messagesIn       messages the application took ({@code receive}, {@code poll},
 *                         {@code onMessage})
 * @param bytesIn          the payload bytes of those messages
 * @param sendBlockedNanos time senders waited for the peer to make room, in nanoseconds
 * @param framesRefused    frames refused as longer than the connection's maximum: one the peer
 *                         announced (which ends the connection) or a message given to send
 * @param reconnects       times the connection was made again after a loss; 0 for a connection
 *                         that does not reconnect
 */
public record ConnectionCounters(long messagesOut, long bytesOut, long messagesIn, long bytesIn,
        long sendBlockedNanos, long framesRefused, long reconnects) {
    /** All zero: the reading of a connection that keeps no counters. */
    public static final ConnectionCounters ZERO = new ConnectionCounters(0, 0, 0, 0, 0, 0, 0);

    /**
     * The time senders waited for the peer, as a duration. Never blocks.
     *
     * @return {@link #sendBlockedNanos()} as a duration
     */
    public Duration sendBlocked() {
        return Duration.ofNanos(sendBlockedNanos);
    }
}
