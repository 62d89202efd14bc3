package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Named FIFOs and pipe buffers: {@code mkfifo} and Linux's {@code F_SETPIPE_SZ}. A FIFO is then
 * opened, read and written through {@link PosixFiles}.
 */
public final class Fifos {
    /** {@code PIPE_BUF} on Linux: a write of at most this many bytes to a pipe is atomic. */
    public static final int PIPE_BUF = 4096;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;

    private Fifos() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final MethodHandle MKFIFO = Native.bindLinux("mkfifo", FunctionDescriptor.of(INT, ValueLayout.ADDRESS,
                INT), Native.ERRNO);
        // fcntl(fd, cmd, arg): variadic after the command.
        static final MethodHandle FCNTL = Native.bindLinux("fcntl", FunctionDescriptor.of(INT, INT, INT, INT),
                Native.ERRNO, Linker.Option.firstVariadicArg(2));
    }

    /** @return empty if FIFOs work here as Conduit uses them, else why not */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("fifo: (Linux's poll semantics for FIFOs and F_SETPIPE_SZ)");
    }

    /**
     * {@code mkfifo(path, mode)}; the umask applies, as for any file.
     *
     * @throws ErrnoException with {@code errno} and its text ({@link Errno#EEXIST} if the path exists)
     */
    public static void mkfifo(String path, int mode) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.MKFIFO.invokeExact(state, arena.allocateFrom(path), mode),
                () -> "mkfifo(" + path + ", 0" + Integer.toOctalString(mode) + ")");
    }

    /**
     * {@code fcntl(fd, F_SETPIPE_SZ, bytes)}: asks for a pipe buffer of at least {@code bytes}.
     *
     * @return the size the kernel granted (a power of two pages, at least {@code bytes})
     * @throws ErrnoException {@link Errno#EPERM} above {@code /proc/sys/fs/pipe-max-size} without
     *                        {@code CAP_SYS_RESOURCE}, {@link Errno#EBUSY} below the bytes queued
     */
    public static int setPipeSize(int fd, int bytes) throws IOException {
        return (int) Errno.checked((arena, state) -> (int) Calls.FCNTL.invokeExact(state, fd, F_SETPIPE_SZ, bytes),
                () -> "fcntl(" + fd + ", F_SETPIPE_SZ, " + bytes + ")");
    }

    /**
     * @return {@code fcntl(fd, F_GETPIPE_SZ)}: the pipe's buffer size in bytes
     * @throws ErrnoException with {@code errno} and its text ({@code EBADF} if not a pipe)
     */
    public static int pipeSize(int fd) throws IOException {
        return (int) Errno.checked((arena, state) -> (int) Calls.FCNTL.invokeExact(state, fd, F_GETPIPE_SZ, 0),
                () -> "fcntl(" + fd + ", F_GETPIPE_SZ)");
    }
}
