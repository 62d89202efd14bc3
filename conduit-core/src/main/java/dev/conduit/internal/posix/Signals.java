package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Signals to one thread, to end a system call it is blocked in: {@code pthread_kill} with the
 * JDK's own I/O-interrupt signal. Linux's: the signal number and {@code struct sigaction}'s
 * layout are glibc's on x86-64 and AArch64.
 */
public final class Signals {
    /**
     * The signal that interrupts a thread blocked in {@code msgrcv} or {@code msgsnd}: the JDK's
     * own I/O-interrupt signal ({@code __SIGRTMAX - 2}), for which {@code sun.nio.ch.NativeThread}
     * installs a handler that does nothing, without {@code SA_RESTART}, so a blocked call ends
     * with {@code EINTR}. Reusing it means installing no handler of ours (an upcall cannot be a
     * signal handler safely); {@link #wakeSignalProblem()} checks that the handler is there.
     */
    public static final int WAKE_SIGNAL = 64 - 2;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final long SIGACTION_BYTES = 152;
    private static final long SA_FLAGS = 136;
    private static final int SA_RESTART = 0x10000000;

    private Signals() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final MethodHandle PTHREAD_SELF = Native.bindLinux("pthread_self",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        static final MethodHandle PTHREAD_KILL = Native.bindLinux("pthread_kill",
                FunctionDescriptor.of(INT, ValueLayout.JAVA_LONG, INT));
        static final MethodHandle SIGACTION = Native.bindLinux("sigaction",
                FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), Native.ERRNO);
    }

    /** @return the calling thread's {@code pthread_t}, for {@link #pthreadKill} */
    public static long pthreadSelf() {
        try {
            return (long) Calls.PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * {@code pthread_kill(thread, signal)}. Never blocks. The thread must still be running: the
     * caller guarantees it.
     *
     * @return 0, or the error number
     */
    public static int pthreadKill(long thread, int signal) {
        try {
            return (int) Calls.PTHREAD_KILL.invokeExact(thread, signal);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * @return empty if a handler for {@link #WAKE_SIGNAL} is installed without {@code SA_RESTART}
     *         (so the signal interrupts a blocked system call and does nothing else), else why not
     */
    public static Optional<String> wakeSignalProblem() {
        Optional<String> linux = Native.linuxOnly("waking a thread blocked in msgrcv");
        if (linux.isPresent()) {
            return linux;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGACTION_BYTES, 8);
            Errno.checked((a, state) -> (int) Calls.SIGACTION.invokeExact(state, WAKE_SIGNAL, MemorySegment.NULL,
                    old), () -> "sigaction(" + WAKE_SIGNAL + ", NULL, &old)");
            long handler = old.get(ValueLayout.JAVA_LONG, 0);
            int flags = old.get(INT, SA_FLAGS);
            if (handler == 0 || handler == 1) {
                return Optional.of("signal " + WAKE_SIGNAL + " has no handler (" + (handler == 0 ? "SIG_DFL" : "SIG_IGN")
                        + "): the JDK's I/O-interrupt handler is not installed");
            }
            if ((flags & SA_RESTART) != 0) {
                return Optional.of("signal " + WAKE_SIGNAL + " restarts system calls (SA_RESTART), so it cannot end"
                        + " a blocked msgrcv");
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
    }
}
