package dev.conduit.internal.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.function.Supplier;

/**
 * {@code errno}: its values, its text, and the one way the facilities turn a failed call into
 * an {@link ErrnoException} whose message names the call, its arguments, the error's text and
 * number, e.g. {@code shm_open("/conduit-x", O_RDWR): No such file or directory (errno 2)}.
 * The values are Linux's (x86-64 and AArch64 share them).
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EPIPE = 32;
    public static final int ELOOP = 40;
    public static final int ENOMSG = 42;
    public static final int EIDRM = 43;
    public static final int ETIMEDOUT = 110;

    private static final VarHandle VALUE = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle STRERROR = Native.bind("strerror",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Errno() {
    }

    /** @return room for the {@code errno} a call bound with {@link Native#ERRNO} captures, one per calling thread */
    public static MemorySegment allocateState(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    /** @return the {@code errno} the last failed call left in {@code state} */
    public static int value(MemorySegment state) {
        return (int) VALUE.get(state, 0L);
    }

    /** @return the C library's text for an {@code errno} value */
    public static String text(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? "error " + errno : Native.string(text, 1024);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param call  the call and its arguments, e.g. {@code msgsnd(42, 8192 bytes)}
     * @param errno the failure's {@code errno}
     * @return the exception {@link #checked} throws, for failures reported as numbers
     */
    public static ErrnoException exception(String call, int errno) {
        return new ErrnoException(call + ": " + text(errno) + " (errno " + errno + ")", errno);
    }

    /** A native call that reports failure as -1 and sets {@code errno} in {@code state}. */
    @FunctionalInterface
    interface Call {
        long invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    /**
     * Runs {@code call} with a confined arena for its arguments and room for its {@code errno}.
     *
     * @param text the call and its arguments, for the exception; built only on failure
     * @return the call's result, unless it is -1
     * @throws ErrnoException naming the call and {@code errno} if it returned -1
     */
    static long checked(Call call, Supplier<String> text) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateState(arena);
            long result = call.invoke(arena, state);
            if (result == -1) {
                throw exception(text.get(), value(state));
            }
            return result;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @return {@code t} if unchecked, for the caller to throw; an {@link Error} is thrown here;
     *         anything else (a native call declares {@code Throwable} but throws nothing checked)
     *         wrapped
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
