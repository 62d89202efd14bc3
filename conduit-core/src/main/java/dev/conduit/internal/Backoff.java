package dev.conduit.internal;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The waits between tries of something that is not there yet (a listener, a FIFO's receiver,
 * a queue), up to a deadline: 1 ms, doubling to 50 ms, never past the deadline. One caller.
 */
public final class Backoff {
    private static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final long deadline;
    private long next = FIRST_NANOS;

    /** @param waitNanos how long to keep trying from now; 0 for one try */
    public Backoff(long waitNanos) {
        this.deadline = System.nanoTime() + waitNanos;
    }

    /**
     * Waits before the next try.
     *
     * @param what names the call for the exception, e.g. {@code unix:/tmp/a.sock: connect}
     * @return {@code false}, at once, if the deadline has passed: no more tries
     * @throws InterruptedIOException if the thread is interrupted while waiting (the flag stays set)
     */
    public boolean pause(String what) throws InterruptedIOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        LockSupport.parkNanos(Math.min(next, left));
        next = Math.min(next * 2, MAX_NANOS);
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted while waiting");
        }
        return true;
    }
}
