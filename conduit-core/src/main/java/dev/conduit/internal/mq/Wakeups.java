package dev.conduit.internal.mq;

import dev.conduit.internal.posix.Signals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Ends calls blocked in {@code msgrcv} or {@code msgsnd}, which have no time-out and no file
 * descriptor to close: one daemon thread sends {@link Signals#WAKE_SIGNAL} to a blocked thread
 * when its call is due (its deadline passed, or its queue was closed), and the call then fails
 * with {@code EINTR} and looks again at its deadline and at whether its queue was closed.
 *
 * <p>The thread knows every {@link Slot} (they register when made) and sleeps until the
 * earliest {@link Slot#due} among those whose threads are blocked. A call announces its deadline
 * by writing it in its slot, and wakes the thread only if that is earlier than the thread's
 * planned wake-up: a stream of calls with the same time-out, each ended early by a message,
 * costs no wake-up and leaves nothing behind. A signal that arrives between the blocked thread's
 * last look and its entry into the kernel is lost, so it is repeated every millisecond until the
 * thread has left that call. Nothing is polled while a call waits: its thread sleeps in the
 * kernel until a message, its deadline or a close.
 */
final class Wakeups {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Optional<String> PROBLEM = prepare();
    private static final List<Slot> SLOTS = new CopyOnWriteArrayList<>();
    /** When the thread will look next (a {@link System#nanoTime()}), or {@link Slot#NEVER}. */
    private static volatile long planned = Slot.NEVER;
    private static final Thread THREAD = PROBLEM.isEmpty()
            ? Thread.ofPlatform().daemon().name("conduit-mq-wakeups").start(Wakeups::run) : null;

    private Wakeups() {
    }

    /**
     * Makes sure the JDK has installed its I/O-interrupt handler (a blocking read on a
     * {@link FileChannel} initialises the class that installs it), then checks that it is there.
     */
    private static Optional<String> prepare() {
        try (FileChannel devNull = FileChannel.open(Path.of("/dev/null"))) {
            devNull.read(ByteBuffer.allocate(1));
        } catch (IOException | UnsupportedOperationException e) {
            // The check below says whether the handler is there anyway.
        }
        return Signals.wakeSignalProblem();
    }

    /** @return empty if blocked calls can be ended here, else why not */
    static Optional<String> problem() {
        return PROBLEM;
    }

    /** Makes the slot's blocked calls endable; once per slot, when it is made. */
    static void register(Slot slot) {
        SLOTS.add(slot);
    }

    /**
     * Called by a blocked call that has written its deadline in its slot: wakes the thread if
     * the deadline is before its planned look. Never blocks.
     */
    static void due(long deadline) {
        long look = planned;
        if (look == Slot.NEVER || deadline - look < 0) {
            LockSupport.unpark(THREAD);
        }
    }

    /** Signals the slot's thread now, and until it leaves its call, if it is blocked. */
    static void now(Slot slot) {
        if (slot.isBlocked()) {
            slot.due.set(System.nanoTime());
            LockSupport.unpark(THREAD);
        }
    }

    private static void run() {
        while (true) {
            long next = look();
            planned = next;
            // Read the slots again after publishing the plan: a deadline written meanwhile is
            // either seen here or its call saw the plan and woke this thread.
            long again = look();
            if (again != next) {
                planned = again;
                next = again;
            }
            if (next == Slot.NEVER) {
                LockSupport.park();
            } else {
                LockSupport.parkNanos(next - System.nanoTime());
            }
            Thread.interrupted();
        }
    }

    /**
     * Signals the blocked threads whose calls are due, forgets retired slots whose threads have
     * left, and finds the next time anything is due.
     *
     * @return that time, or {@link Slot#NEVER}
     */
    private static long look() {
        long now = System.nanoTime();
        long next = Slot.NEVER;
        for (Slot slot : SLOTS) {
            if (!slot.isBlocked()) {
                if (slot.retired) {
                    SLOTS.remove(slot);
                }
                continue;
            }
            long generation = slot.generation;
            long seen = slot.due.get();
            if (seen == Slot.NEVER) {
                continue;
            }
            long due = seen;
            if (seen - now <= 0) {
                // Not signalled: the thread left, or is between calls; look again soon in case it
                // entered a new one whose deadline this look did not see.
                due = now + RETRY_NANOS;
                if (slot.signalIfIn(generation) && !slot.due.compareAndSet(seen, due)) {
                    due = now;
                }
            }
            if (next == Slot.NEVER || due - next < 0) {
                next = due;
            }
        }
        return next;
    }
}
