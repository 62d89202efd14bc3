package dev.conduit;

/**
 * A reading of one listener's counters, from {@link Listener#counters()}. Each value is a recent
 * value of its counter, not a consistent snapshot across counters; counters only grow, from zero
 * when the listener was made.
 *
 * @param accepted          connections handed out by {@code accept}
 * @param refused           peers turned away before a connection was made (by the access rules
 *                          {@code ?allowUsers=} and {@code ?allowGroups=})
 * @param handshakeFailures clients dropped because their handshake failed (a wrong authkey, a
 *                          foreign or broken peer on {@code shm:} or {@code ?protocol=conduit})
 */
public record ListenerCounters(long accepted, long refused, long handshakeFailures) {
    /** All zero: the reading of a listener that keeps no counters. */
    public static final ListenerCounters ZERO = new ListenerCounters(0, 0, 0);
}
