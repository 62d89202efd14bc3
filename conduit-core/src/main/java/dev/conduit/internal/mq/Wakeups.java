package dev.conduit.internal.mq;

import dev.conduit.internal.posix.Libc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * Ends calls blocked in {@code msgrcv} or {@code msgsnd}, which have no time-out and no file
 * descriptor to close: one daemon thread sends {@link Libc#WAKE_SIGNAL} to the blocked thread,
 * whose call then fails with {@code EINTR} and looks again at its deadline and at whether its
 * queue was closed.
 *
 * <p>A signal that arrives between the thread's last look and its entry into the kernel is
 * lost, so the signal is repeated (after 1 ms, then doubling up to 50 ms) until the thread has
 * left that call. Nothing is polled while a call waits: the thread sleeps in the kernel until
 * a message, its deadline or a close.
 */
final class Wakeups {
    private static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long LAST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final Optional<String> PROBLEM = prepare();
    private static final DelayQueue<Wake> DUE = new DelayQueue<>();

    static {
        if (PROBLEM.isEmpty()) {
            Thread.ofPlatform().daemon().name("conduit-mq-wakeups").start(Wakeups::run);
        }
    }

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
        return Libc.wakeSignalProblem();
    }

    /** @return empty if blocked calls can be ended here, else why not */
    static Optional<String> problem() {
        return PROBLEM;
    }

    /** Signals the slot's thread at {@code dueNanos} (a {@link System#nanoTime()}) if still in this call. */
    static void at(Slot slot, long dueNanos) {
        DUE.add(new Wake(slot, slot.generation, dueNanos, FIRST_RETRY_NANOS));
    }

    /** Signals the slot's thread now if it is blocked. */
    static void now(Slot slot) {
        if (slot.isBlocked()) {
            DUE.add(new Wake(slot, slot.generation, System.nanoTime(), FIRST_RETRY_NANOS));
        }
    }

    private static void run() {
        while (true) {
            Wake wake;
            try {
                wake = DUE.take();
            } catch (InterruptedException e) {
                continue;
            }
            if (wake.slot.signalIfIn(wake.generation)) {
                DUE.add(new Wake(wake.slot, wake.generation, System.nanoTime() + wake.retryNanos,
                        Math.min(LAST_RETRY_NANOS, wake.retryNanos * 2)));
            }
        }
    }

    private record Wake(Slot slot, long generation, long dueNanos, long retryNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(dueNanos, ((Wake) other).dueNanos);
        }
    }
}
