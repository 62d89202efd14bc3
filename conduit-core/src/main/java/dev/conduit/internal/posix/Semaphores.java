package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * POSIX named semaphores ({@code sem_open} and its kin), for ipcez's acknowledgements. Waits use
 * {@code sem_clockwait} (glibc 2.30) on {@code CLOCK_MONOTONIC}, so a clock change cannot
 * stretch them: Linux's.
 */
public final class Semaphores {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final int CLOCK_MONOTONIC = 1;
    private static final long TIMESPEC_BYTES = 16;

    private Semaphores() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        // sem_open(name, oflag, mode, value): variadic after the flags.
        static final MethodHandle OPEN = Native.bindLinux("sem_open", FunctionDescriptor.of(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, INT, INT, INT), Native.ERRNO, Linker.Option.firstVariadicArg(2));
        static final MethodHandle POST = Native.bindLinux("sem_post", FunctionDescriptor.of(INT, ValueLayout.ADDRESS),
                Native.ERRNO);
        static final MethodHandle TRYWAIT = Native.bindLinux("sem_trywait",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle CLOCKWAIT = Native.bindLinux("sem_clockwait",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle GETVALUE = Native.bindLinux("sem_getvalue",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle CLOSE = Native.bindLinux("sem_close", FunctionDescriptor.of(INT, ValueLayout.ADDRESS),
                Native.ERRNO);
        static final MethodHandle UNLINK = Native.bindLinux("sem_unlink",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle CLOCK_GETTIME = Native.bind("clock_gettime",
                FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS));
    }

    /** @return empty if this C library has POSIX named semaphores as Conduit uses them, else why not */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("POSIX named semaphores (sem_open, sem_clockwait)")
                .or(() -> Native.missing("sem_open", "sem_post", "sem_trywait", "sem_clockwait", "sem_getvalue",
                        "sem_close", "sem_unlink").map(why -> "POSIX named semaphores: " + why));
    }

    /**
     * {@code sem_open(name, O_CREAT | extra, mode, 0)}: opens the named semaphore, making it with
     * value 0 if it does not exist. Never blocks. The umask applies to {@code mode}.
     *
     * @param name  a POSIX semaphore name: a slash, then no other slash
     * @param extra 0, or {@link PosixFiles#O_EXCL} to fail with {@code EEXIST} if it exists
     * @return the semaphore, to give to {@link #close} once
     * @throws ErrnoException with {@code errno} and its text
     */
    public static MemorySegment open(String name, int extra, int mode) throws IOException {
        int flags = PosixFiles.O_CREAT | extra;
        long address = Errno.checked((arena, state) -> {
            MemorySegment sem = (MemorySegment) Calls.OPEN.invokeExact(state, arena.allocateFrom(name), flags,
                    mode, 0);
            return sem.equals(MemorySegment.NULL) ? -1 : sem.address(); // SEM_FAILED is (sem_t *) 0
        }, () -> "sem_open(\"" + name + "\", " + PosixFiles.flagsText(flags).replace("O_RDONLY|", "") + ", 0"
                + Integer.toOctalString(mode) + ", 0)");
        return MemorySegment.ofAddress(address);
    }

    /**
     * {@code sem_post(sem)}. Never blocks.
     *
     * @param what names the semaphore in the error
     * @throws ErrnoException with {@code errno} and its text ({@code EOVERFLOW} at its maximum value)
     */
    public static void post(MemorySegment sem, String what) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.POST.invokeExact(state, sem), () -> "sem_post(" + what + ")");
    }

    /**
     * {@code sem_trywait(sem)}. Never blocks.
     *
     * @return whether it took one from the semaphore's value
     * @throws ErrnoException with {@code errno} and its text, for a failure other than {@code EAGAIN}
     */
    public static boolean tryWait(MemorySegment sem, String what) throws IOException {
        return call(state -> (int) Calls.TRYWAIT.invokeExact(state, sem), "sem_trywait(" + what + ")");
    }

    /**
     * {@code sem_clockwait(sem, CLOCK_MONOTONIC, now + nanos)}: waits until it can take one from
     * the semaphore's value, or {@code nanos} pass, or a signal comes. Blocks the calling thread
     * in the kernel, so a virtual thread would hold its carrier: callers on virtual threads use
     * {@link #tryWait} and park instead.
     *
     * @return whether it took one; false when the time passed or a signal came
     * @throws ErrnoException with {@code errno} and its text, for any other failure
     */
    public static boolean await(MemorySegment sem, long nanos, String what) throws IOException {
        return call(state -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment deadline = arena.allocate(TIMESPEC_BYTES, 8);
                int rc = (int) Calls.CLOCK_GETTIME.invokeExact(CLOCK_MONOTONIC, deadline);
                assert rc == 0 : rc;
                long total = deadline.get(ValueLayout.JAVA_LONG, 8) + Math.max(0, nanos);
                deadline.set(ValueLayout.JAVA_LONG, 0, deadline.get(ValueLayout.JAVA_LONG, 0) + total / 1_000_000_000L);
                deadline.set(ValueLayout.JAVA_LONG, 8, total % 1_000_000_000L);
                return (int) Calls.CLOCKWAIT.invokeExact(state, sem, CLOCK_MONOTONIC, deadline);
            }
        }, "sem_clockwait(" + what + ", CLOCK_MONOTONIC, " + nanos + " ns)");
    }

    /**
     * {@code sem_getvalue(sem, &value)}. Never blocks.
     *
     * @return the semaphore's value at the moment of the call (0 when threads wait on it)
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int value(MemorySegment sem, String what) throws IOException {
        try (Arena values = Arena.ofConfined()) {
            MemorySegment value = values.allocate(INT);
            Errno.checked((arena, state) -> (int) Calls.GETVALUE.invokeExact(state, sem, value),
                    () -> "sem_getvalue(" + what + ")");
            return value.get(INT, 0);
        }
    }

    /**
     * {@code sem_close(sem)}: after it, {@code sem} must not be used again. Never blocks.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void close(MemorySegment sem, String what) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.CLOSE.invokeExact(state, sem), () -> "sem_close(" + what + ")");
    }

    /**
     * {@code sem_unlink(name)}. Never blocks.
     *
     * @return whether it was there to unlink ({@code false} for {@code ENOENT})
     * @throws ErrnoException with {@code errno} and its text, for any other failure
     */
    public static boolean unlink(String name) throws IOException {
        try {
            Errno.checked((arena, state) -> (int) Calls.UNLINK.invokeExact(state, arena.allocateFrom(name)),
                    () -> "sem_unlink(\"" + name + "\")");
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    /** A semaphore call returning 0 or -1 with {@code errno}. */
    @FunctionalInterface
    private interface Call {
        int invoke(MemorySegment state) throws Throwable;
    }

    /** @return true on success, false for {@code EAGAIN}, {@code EINTR} or {@code ETIMEDOUT} */
    private static boolean call(Call call, String text) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Errno.allocateState(arena);
            if (call.invoke(state) == 0) {
                return true;
            }
            int errno = Errno.value(state);
            if (errno == Errno.EAGAIN || errno == Errno.EINTR || errno == Errno.ETIMEDOUT) {
                return false;
            }
            throw Errno.exception(text, errno);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }
}
