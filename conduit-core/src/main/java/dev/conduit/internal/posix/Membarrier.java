package dev.conduit.internal.posix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux's {@code membarrier}: makes other threads pass a full memory barrier, so that one side
 * of a store-load handshake needs no fence. Where the kernel lacks it, or this is not Linux,
 * {@link #registerPrivate()} and {@link #registerGlobal()} say false and callers take their
 * slower way.
 */
public final class Membarrier {
    private static final int CMD_QUERY = 0;
    private static final int CMD_GLOBAL_EXPEDITED = 1 << 1;
    private static final int CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
    private static final int CMD_PRIVATE_EXPEDITED = 1 << 3;
    private static final int CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

    private Membarrier() {
    }

    /** Bound, and this process registered, on the facility's first use. */
    private static final class Calls {
        static final long SYS_MEMBARRIER = "aarch64".equals(System.getProperty("os.arch")) ? 283 : 324;
        // syscall(SYS_membarrier, cmd, flags, cpu_id).
        static final MethodHandle SYSCALL = Native.bindLinux("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(1));
        static final long OFFERED = Native.isLinux() ? Math.max(0, call(CMD_QUERY)) : 0;
        static final boolean PRIVATE = register(CMD_PRIVATE_EXPEDITED, CMD_REGISTER_PRIVATE_EXPEDITED);
        static final boolean GLOBAL = register(CMD_GLOBAL_EXPEDITED, CMD_REGISTER_GLOBAL_EXPEDITED);

        private static boolean register(int command, int registration) {
            int needed = command | registration;
            return (OFFERED & needed) == needed && call(registration) == 0;
        }
    }

    /**
     * Registers this process for {@link #privateBarrier()}. Lasts as long as the process; calling
     * again does nothing. Never blocks for long.
     *
     * @return whether the kernel offers {@code MEMBARRIER_CMD_PRIVATE_EXPEDITED} (Linux 4.14)
     *         and registered this process; false on other systems, older kernels, or where a
     *         sandbox forbids the call
     */
    public static boolean registerPrivate() {
        return Calls.PRIVATE;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)}: returns once every other running
     * thread of this process has passed a full memory barrier. So a store another thread made
     * before that barrier is visible to the caller, and a load it makes after sees what the
     * caller stored before the call: the slow half of a store-load handshake whose fast half
     * needs no fence. It costs an interrupt per CPU running this process: for rare events,
     * never a fast path. Call only after {@link #registerPrivate()} returned true.
     */
    public static void privateBarrier() {
        run(CMD_PRIVATE_EXPEDITED, "MEMBARRIER_CMD_PRIVATE_EXPEDITED");
    }

    /**
     * Registers this process for {@link #globalBarrier()}, as {@link #registerPrivate()}.
     *
     * @return whether the kernel offers {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED} (Linux 4.16) and
     *         registered this process
     */
    public static boolean registerGlobal() {
        return Calls.GLOBAL;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)}: as {@link #privateBarrier()}, for the
     * running threads of every process registered by {@link #registerGlobal()}, this one or
     * others. Any process may call it.
     */
    public static void globalBarrier() {
        run(CMD_GLOBAL_EXPEDITED, "MEMBARRIER_CMD_GLOBAL_EXPEDITED");
    }

    private static void run(int command, String name) {
        long rc = call(command);
        if (rc != 0) {
            throw new IllegalStateException("membarrier(" + name + ") returned " + rc + " though offered");
        }
    }

    private static long call(int command) {
        try {
            return (long) Calls.SYSCALL.invokeExact(Calls.SYS_MEMBARRIER, command, 0, 0);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }
}
