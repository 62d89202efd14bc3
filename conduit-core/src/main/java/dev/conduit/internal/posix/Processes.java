package dev.conduit.internal.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Processes: this one's id, and whether another is alive. POSIX. Never blocks. */
public final class Processes {
    private Processes() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final MethodHandle GETPID = Native.bind("getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        static final MethodHandle KILL = Native.bind("kill",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Native.ERRNO);
    }

    /** @return this process's id */
    public static int getpid() {
        try {
            return (int) Calls.GETPID.invokeExact();
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * @param pid a process id
     * @return whether a process with that id exists ({@code kill(pid, 0)} succeeds, or fails
     *         with {@code EPERM}: it exists but is someone else's)
     */
    public static boolean exists(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Errno.allocateState(arena);
            if ((int) Calls.KILL.invokeExact(state, pid, 0) == 0) {
                return true;
            }
            return Errno.value(state) == Errno.EPERM;
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }
}
