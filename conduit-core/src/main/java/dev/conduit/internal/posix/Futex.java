package dev.conduit.internal.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Linux's futex, shared between processes: a thread sleeps on a 32-bit word in shared memory
 * and another process's thread wakes it. Called through {@code syscall}, whose number differs
 * by architecture.
 */
public final class Futex {
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    /** {@code struct timespec} on LP64: seconds, then nanoseconds. */
    private static final long TIMESPEC_BYTES = 16;

    private Futex() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final long SYS_FUTEX = "aarch64".equals(System.getProperty("os.arch")) ? 98 : 202;
        // syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3); variadic after the number.
        static final MethodHandle SYSCALL = Native.bindLinux("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(1));
    }

    /** @return empty if futexes work here, else why not */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("futex");
    }

    /** @return room for a {@code struct timespec}, for {@link #await} */
    public static MemorySegment allocateTimespec(Arena arena) {
        return arena.allocate(TIMESPEC_BYTES, 8);
    }

    /**
     * {@code FUTEX_WAIT} (shared, not private: the word may be in memory other processes map):
     * sleeps while {@code word} holds {@code expected}, until woken, a signal, or the time-out.
     * Returns in every case; the caller looks again at what it waits for. Blocks the calling
     * thread in the kernel, so a virtual thread would hold its carrier: callers on virtual threads
     * wait otherwise.
     *
     * @param word     a 4-byte-aligned 32-bit word
     * @param expected the value that means "still nothing to do"
     * @param timespec a {@link #allocateTimespec} segment, or {@code null} for no time-out
     * @param nanos    the most to sleep when {@code timespec} is given
     */
    public static void await(MemorySegment word, int expected, MemorySegment timespec, long nanos) {
        MemorySegment timeout = MemorySegment.NULL;
        if (timespec != null) {
            timespec.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
            timeout = timespec;
        }
        try {
            long rc = (long) Calls.SYSCALL.invokeExact(Calls.SYS_FUTEX, word, FUTEX_WAIT, expected, timeout,
                    MemorySegment.NULL, 0);
            assert rc == 0 || rc == -1 : rc;
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * {@code FUTEX_WAKE}: wakes up to {@code count} threads, of any process, sleeping in
     * {@link #await} on {@code word}. Never blocks.
     *
     * @return how many were woken
     */
    public static int wake(MemorySegment word, int count) {
        try {
            return (int) (long) Calls.SYSCALL.invokeExact(Calls.SYS_FUTEX, word, FUTEX_WAKE, count,
                    MemorySegment.NULL, MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }
}
