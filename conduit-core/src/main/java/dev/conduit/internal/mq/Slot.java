package dev.conduit.internal.mq;

import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.Signals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one call on a queue needs, reused from call to call: the message buffer ({@code long}
 * type, then up to {@code msgmax} bytes), room for {@code errno}, and the state by which
 * {@link Wakeups} interrupts the call while it is blocked in the kernel: whether it is, which
 * call it is, and when it is due. One thread at a time.
 */
final class Slot {
    static final int IDLE = 0;
    static final int BLOCKED = 1;
    /** {@link Wakeups} is signalling the thread: it must not leave and end before that is done. */
    static final int SIGNALLING = 2;
    /** {@link #due} when nothing is due: the call waits without a deadline. */
    static final long NEVER = Long.MAX_VALUE;

    final MemorySegment buffer;
    /** {@link #buffer} as a {@link ByteBuffer}, made once, for copying from buffers without a wrapper. */
    final ByteBuffer view;
    final MemorySegment state;
    final AtomicInteger phase = new AtomicInteger(IDLE);
    /**
     * When {@link Wakeups} is to signal the blocked thread (a {@link System#nanoTime()}), or
     * {@link #NEVER}: the call's deadline, moved to now by a close and on by a repeat.
     */
    final AtomicLong due = new AtomicLong(NEVER);
    /** The blocked thread; written before {@link #phase} becomes {@link #BLOCKED}. */
    long thread;
    /** Which blocking call this is; written before {@link #phase} becomes {@link #BLOCKED}. */
    long generation;
    /** Its queue is closed: {@link Wakeups} forgets it once its thread has left. */
    volatile boolean retired;

    /** Memory freed by the collector: a call still in the kernel keeps its slot reachable. */
    Slot(long msgmax) {
        Arena arena = Arena.ofAuto();
        buffer = arena.allocate(Long.BYTES + msgmax, Long.BYTES);
        view = buffer.asByteBuffer();
        state = Errno.allocateState(arena);
    }

    /**
     * Marks this thread as about to block in the kernel, so that {@link Wakeups} may signal it.
     *
     * @param deadline when to end the call (a {@link System#nanoTime()}), or {@link #NEVER}
     */
    void enter(long deadline) {
        thread = Signals.pthreadSelf();
        generation++;
        due.set(deadline);
        phase.set(BLOCKED);
        if (deadline != NEVER) {
            Wakeups.due(deadline);
        }
    }

    /** Marks the call as over; waits while a signal is being sent, so the thread outlives it. */
    void leave() {
        while (!phase.compareAndSet(BLOCKED, IDLE)) {
            Thread.onSpinWait();
        }
    }

    /**
     * Sends the wake signal if the thread is still in blocking call {@code generation}.
     *
     * @return whether it was (and was signalled)
     */
    boolean signalIfIn(long generation) {
        if (!phase.compareAndSet(BLOCKED, SIGNALLING)) {
            return false;
        }
        try {
            if (this.generation != generation) {
                return false;
            }
            Signals.pthreadKill(thread, Signals.WAKE_SIGNAL);
            return true;
        } finally {
            phase.set(BLOCKED);
        }
    }

    boolean isBlocked() {
        return phase.get() != IDLE;
    }
}
