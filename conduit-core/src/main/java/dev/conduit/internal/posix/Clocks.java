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
     * @return nanoseconds since 1970-01-01T00:00Z; 0 if the clock cannot be read
     */
    public static long realtimeNanos(MemorySegment timespec) {
        try {
            if ((int) Calls.CLOCK_GETTIME.invokeExact(CLOCK_REALTIME, timespec) != 0) {
                return 0;
            }
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
        return timespec.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + timespec.get(ValueLayout.JAVA_LONG, 8);
    }
}
