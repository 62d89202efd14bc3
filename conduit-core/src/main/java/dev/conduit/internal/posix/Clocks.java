package dev.conduit.internal.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code clock_gettime(CLOCK_REALTIME)}: the wall clock in nanoseconds, which the JDK gives only
 * through {@code Instant.now()}, an object per call. A hot path that stamps each message with
 * its time reads it here into a {@code struct timespec} of its own, allocating nothing.
 */
public final class Clocks {
    private static final int CLOCK_REALTIME = 0;
    /** Linux's: the wall clock as of the last timer tick (1 to 10 ms old), read without the clock source. */
    private static final int CLOCK_REALTIME_COARSE = 5;
    private static final long TIMESPEC_BYTES = 16;

    private Clocks() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        // A vDSO call that neither blocks nor calls back: no thread-state transition needed.
        static final MethodHandle CLOCK_GETTIME = Native.bind("clock_gettime",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                Linker.Option.critical(false));
    }

    /** @return room for a {@code struct timespec}, for {@link #realtimeNanos} */
    public static MemorySegment allocateTimespec(Arena arena) {
        return arena.allocate(TIMESPEC_BYTES, 8);
    }

    /**
     * Reads the wall clock. Never blocks; any thread may call it with a timespec of its own.
     *
     * @param timespec an {@link #allocateTimespec} segment, overwritten
     * @param coarse   whether the time of the last timer tick will do: on Linux a fifth of the
     *                 cost (5 ns against 24 ns on a VM here: {@code bin/jmh ClockBenchmark}), with
     *                 the tick's resolution (1 to 10 ms)
     * @return nanoseconds since 1970-01-01T00:00Z; 0 if the clock cannot be read
     */
    public static long realtimeNanos(MemorySegment timespec, boolean coarse) {
        try {
            if ((int) Calls.CLOCK_GETTIME.invokeExact(coarse ? CLOCK_REALTIME_COARSE : CLOCK_REALTIME, timespec) != 0) {
                return 0;
            }
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
        return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
    }
}
