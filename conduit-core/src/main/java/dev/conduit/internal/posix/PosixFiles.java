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
 * File descriptors: {@code open}, {@code close}, {@code read}, {@code write}, {@code ppoll} on
 * one descriptor, {@code statx} and {@code posix_fallocate}. Linux's: the flag values, the
 * {@code statx} call and {@code ppoll} are Linux's on x86-64 and AArch64.
 *
 * <p>{@link #read} and {@link #write} take the buffer as an address number, not a segment: a
 * FIFO's hot path then makes no segment per call, so a steady stream allocates nothing. Callers
 * pass addresses of native buffers they keep alive for the call. Each is bound twice: a call
 * that captures {@code errno} allocates 40 bytes until C2 compiles it (measured with
 * {@code -XX:TieredStopAtLevel=1}), one that does not allocates nothing, so the plain one goes
 * first and only a failed call (-1) is repeated with {@code errno} captured. A read or write that
 * failed moved no byte, so repeating it is safe: it fails again and tells why, or succeeds as if
 * it were the first.
 */
public final class PosixFiles {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    /** Differs by architecture: asm-generic (AArch64) has 0100000, x86-64 0400000. */
    public static final int O_NOFOLLOW = "aarch64".equals(System.getProperty("os.arch")) ? 0100000 : 0400000;
    /** The same on x86-64 and AArch64. */
    public static final int O_PATH = 010000000;
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    /** {@code S_IFMT} and {@code S_IFIFO}, in {@code st_mode}. */
    public static final int S_IFMT = 0170000;
    public static final int S_IFIFO = 0010000;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC = 0x7ff;
    /** {@code struct statx} (the same on every architecture): its size and the fields read. */
    private static final long STATX_BYTES = 256;
    private static final long STX_UID = 20;
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;
    /** {@code struct pollfd}: int fd, short events, short revents; then a {@code struct timespec}. */
    private static final long POLLFD_BYTES = 8;
    private static final long TIMESPEC_BYTES = 16;

    private PosixFiles() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        // open(path, flags, mode): variadic after the flags.
        static final MethodHandle OPEN = Native.bindLinux("open",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT, INT), Native.ERRNO,
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle CLOSE = Native.bind("close", FunctionDescriptor.of(INT, INT), Native.ERRNO);
        // posix_fallocate returns the error number instead of setting errno.
        static final MethodHandle POSIX_FALLOCATE = Native.bindLinux("posix_fallocate",
                FunctionDescriptor.of(INT, INT, LONG, LONG));
        static final FunctionDescriptor READ_WRITE = FunctionDescriptor.of(LONG, INT, LONG, LONG);
        static final MethodHandle READ = Native.bind("read", READ_WRITE);
        static final MethodHandle READ_ERRNO = Native.bind("read", READ_WRITE, Native.ERRNO);
        static final MethodHandle WRITE = Native.bind("write", READ_WRITE);
        static final MethodHandle WRITE_ERRNO = Native.bind("write", READ_WRITE, Native.ERRNO);
        // ppoll(fds, nfds, timeout, sigmask): the time-out as an address number, beside the pollfd.
        static final MethodHandle PPOLL = Native.bindLinux("ppoll",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, LONG, LONG, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle STATX = Native.bindLinux("statx",
                FunctionDescriptor.of(INT, INT, ValueLayout.ADDRESS, INT, INT, ValueLayout.ADDRESS), Native.ERRNO);
    }

    /** @return empty if this facility works here, else why not */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("files through open, ppoll and statx");
    }

    /**
     * {@code open(path, flags)} ({@code O_CLOEXEC} is always added). Blocks only as the file's
     * kind makes {@code open} block: a FIFO opened without {@link #O_NONBLOCK} waits for its
     * other end.
     *
     * @return the file descriptor
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int open(String path, int flags) throws IOException {
        return (int) Errno.checked((arena, state) -> (int) Calls.OPEN.invokeExact(state, arena.allocateFrom(path),
                flags | O_CLOEXEC, 0), () -> "open(" + path + ", " + flagsText(flags) + ")");
    }

    /**
     * {@code open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode)}: makes a new file, failing if
     * anything exists at {@code path}, a symbolic link included (never followed). Blocks only for
     * the file system.
     *
     * @param mode permission bits, e.g. {@code 0600} (the umask may take some away)
     * @return the file descriptor, for {@link #close}
     * @throws ErrnoException with {@code errno} and its text, {@link Errno#EEXIST} if something is there
     */
    public static int createExclusive(String path, int mode) throws IOException {
        return (int) Errno.checked((arena, state) -> (int) Calls.OPEN.invokeExact(state, arena.allocateFrom(path),
                O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode), () -> "open(\"" + path + "\", O_RDWR|O_CREAT|O_EXCL, 0"
                + Integer.toOctalString(mode) + ")");
    }

    /**
     * {@code close(fd)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void close(int fd) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.CLOSE.invokeExact(state, fd), () -> "close(" + fd + ")");
    }

    /**
     * {@code posix_fallocate(fd, 0, size)}: gives the file its disk blocks now, so that writing
     * through a mapping of it later cannot fail for want of space (which would be a fault, not an
     * error code). Blocks while the file system allocates.
     *
     * @throws ErrnoException with the error and its text, e.g. {@code ENOSPC}
     */
    public static void posixFallocate(int fd, long size) throws IOException {
        int error;
        try {
            error = (int) Calls.POSIX_FALLOCATE.invokeExact(fd, 0L, size);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
        if (error != 0) {
            throw Errno.exception("posix_fallocate(" + fd + ", 0, " + size + ")", error);
        }
    }

    /**
     * {@code read(fd, address, count)}, allocating nothing. Blocks only if {@code fd} is in
     * blocking mode.
     *
     * @param address the address of native memory with room for {@code count} bytes
     * @param state   from {@link Errno#allocateState}, used by one thread at a time
     * @return the bytes read, 0 at end of file, or -1 with {@link Errno#value} set
     */
    public static long read(int fd, long address, long count, MemorySegment state) {
        try {
            long n = (long) Calls.READ.invokeExact(fd, address, count);
            return n >= 0 ? n : (long) Calls.READ_ERRNO.invokeExact(state, fd, address, count);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /**
     * {@code write(fd, address, count)}, allocating nothing; as {@link #read}.
     *
     * @return the bytes written, or -1 with {@link Errno#value} set
     */
    public static long write(int fd, long address, long count, MemorySegment state) {
        try {
            long n = (long) Calls.WRITE.invokeExact(fd, address, count);
            return n >= 0 ? n : (long) Calls.WRITE_ERRNO.invokeExact(state, fd, address, count);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
    }

    /** @return room for one {@code struct pollfd} and a {@code struct timespec}, for {@link #pollOne} */
    public static MemorySegment allocatePoll(Arena arena) {
        return arena.allocate(POLLFD_BYTES + TIMESPEC_BYTES, 8);
    }

    /**
     * {@code ppoll} on one descriptor: blocks the calling thread in the kernel until one of
     * {@code events} (or an error or hang-up condition) holds, a signal arrives, or
     * {@code nanos} pass. A virtual thread would hold its carrier meanwhile: give it 0.
     *
     * @param poll  from {@link #allocatePoll}, used by one thread at a time
     * @param state from {@link Errno#allocateState}, used by one thread at a time
     * @param nanos the most to wait; 0 to look without waiting
     * @return the {@code revents} bits (0 on time-out or {@code EINTR})
     * @throws ErrnoException for a failure other than {@code EINTR}
     */
    public static int pollOne(int fd, short events, long nanos, MemorySegment poll, MemorySegment state)
            throws ErrnoException {
        poll.set(INT, 0, fd);
        poll.set(ValueLayout.JAVA_SHORT, 4, events);
        poll.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        poll.set(LONG, POLLFD_BYTES, nanos / 1_000_000_000L);
        poll.set(LONG, POLLFD_BYTES + 8, nanos % 1_000_000_000L);
        int rc;
        try {
            rc = (int) Calls.PPOLL.invokeExact(state, poll, 1L, poll.address() + POLLFD_BYTES, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Errno.rethrow(t);
        }
        if (rc < 0) {
            int errno = Errno.value(state);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw Errno.exception("ppoll(" + fd + ")", errno);
        }
        return rc == 0 ? 0 : poll.get(ValueLayout.JAVA_SHORT, 6) & 0xffff;
    }

    /**
     * What {@link #fstat} tells of an open file.
     *
     * @param mode  {@code st_mode}: type ({@link #S_IFMT}) and permission bits
     * @param uid   the owner
     * @param dev   the device, as {@code major << 32 | minor}
     * @param inode the inode number
     */
    public record FileStatus(int mode, int uid, long dev, long inode) {
        /** @return whether the file is a FIFO */
        public boolean isFifo() {
            return (mode & S_IFMT) == S_IFIFO;
        }
    }

    /**
     * {@code statx(fd, "", AT_EMPTY_PATH, ...)}: the status of an open file, whatever its kind
     * (an {@link #O_PATH} descriptor too).
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static FileStatus fstat(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(STATX_BYTES, 8);
            Errno.checked((a, state) -> (int) Calls.STATX.invokeExact(state, fd, a.allocateFrom(""), AT_EMPTY_PATH,
                    STATX_BASIC, buffer), () -> "statx(" + fd + ", \"\", AT_EMPTY_PATH)");
            long dev = ((long) buffer.get(INT, STX_DEV_MAJOR) << 32) | Integer.toUnsignedLong(
                    buffer.get(INT, STX_DEV_MINOR));
            return new FileStatus(buffer.get(ValueLayout.JAVA_SHORT, STX_MODE) & 0xffff, buffer.get(INT, STX_UID), dev,
                    buffer.get(LONG, STX_INO));
        }
    }

    /** @return {@code flags} as C would write them, e.g. {@code O_RDWR|O_CREAT|O_EXCL} */
    static String flagsText(int flags) {
        StringBuilder sb = new StringBuilder((flags & 3) == O_WRONLY ? "O_WRONLY" : (flags & 3) == O_RDWR ? "O_RDWR"
                : "O_RDONLY");
        String[] names = {"O_CREAT", "O_EXCL", "O_NONBLOCK", "O_NOFOLLOW", "O_PATH"};
        int[] bits = {O_CREAT, O_EXCL, O_NONBLOCK, O_NOFOLLOW, O_PATH};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                sb.append('|').append(names[i]);
            }
        }
        return sb.toString();
    }
}
