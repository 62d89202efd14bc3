package dev.conduit.spi.support;

import dev.conduit.internal.AbstractConnection;

import java.time.Duration;

/**
 * A caller's time-out as a transport uses it: nanoseconds to wait, and words for error
 * messages, read the same way as by the built-in transports. Stateless and thread-safe.
 */
public final class Timeouts {
    private Timeouts() {
    }

    /**
     * Converts a caller's time-out into nanoseconds to wait.
     *
     * @param timeout a caller's time-out
     * @return it in nanoseconds, saturated at {@link Long#MAX_VALUE}; 0 (no wait) for a zero or
     *         negative time-out
     * @throws NullPointerException if {@code timeout} is null
     */
    public static long waitNanos(Duration timeout) {
        return AbstractConnection.toWaitNanos(timeout);
    }

    /**
     * Writes a time-out for an error message, as the built-in transports do
     * ({@code ... after waiting 5 s}).
     *
     * @param duration the time-out
     * @return it as people write it: {@code 250 ms}, {@code 5 s}, {@code 1.5 s}
     */
    public static String text(Duration duration) {
        return AbstractConnection.text(duration);
    }
}
