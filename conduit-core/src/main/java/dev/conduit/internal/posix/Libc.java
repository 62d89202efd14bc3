package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The one binding layer to the C library, through {@code java.lang.foreign}. Every native call
 * Conduit makes is declared here.
 *
 * <p>Calls that can fail with {@code errno} throw an {@link IOException} whose message names the
 * call, its arguments, the error's text and number, e.g.
 * {@code shm_open("/conduit-x", O_RDWR): No such file or directory (errno 2)}. The shared-memory
 * and futex calls are for Linux on x86-64 and AArch64: see {@link #sharedMemorySupport()}.
 */
@SuppressWarnings("restricted") // This class is the one place allowed to call native code.
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final AddressLayout ADDRESS = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;

    // struct passwd and struct group on glibc and macOS, LP64: name, passwd, then the id.
    private static final long PW_NAME = 0;
    private static final long PW_UID = 16;
    private static final long PASSWD_BYTES = 64;
    private static final long GR_NAME = 0;
    private static final long GR_GID = 16;
    private static final long GROUP_BYTES = 48;
    private static final long LOOKUP_BUFFER_BYTES = 64 * 1024;

    private static final FunctionDescriptor BY_NAME =
            FunctionDescriptor.of(INT, ADDRESS, ADDRESS, ADDRESS, SIZE_T, ADDRESS);
    private static final FunctionDescriptor BY_ID =
            FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS, SIZE_T, ADDRESS);
    private static final MethodHandle GETPWNAM_R = downcall("getpwnam_r", BY_NAME);
    private static final MethodHandle GETPWUID_R = downcall("getpwuid_r", BY_ID);
    private static final MethodHandle GETGRNAM_R = downcall("getgrnam_r", BY_NAME);
    private static final MethodHandle GETGRGID_R = downcall("getgrgid_r", BY_ID);
    private static final MethodHandle GETUID = downcall("getuid", FunctionDescriptor.of(INT));

    // Linux, the same on x86-64 and AArch64 (asm-generic).
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_CLOEXEC = 02000000;
    public static final int ENOENT = 2;
    public static final int EEXIST = 17;
    public static final int ENOSPC = 28;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int SEEK_END = 2;
    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final long SYS_FUTEX = syscallNumber(202, 98);
    private static final long SYS_MEMBARRIER = syscallNumber(324, 283);
    private static final int MEMBARRIER_CMD_QUERY = 0;
    private static final int MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
    private static final int MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
    private static final int MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
    private static final int MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;
    /** {@code struct timespec} on LP64: seconds, then nanoseconds. */
    private static final long TIMESPEC_BYTES = 16;

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SHM_OPEN = downcall("shm_open", FunctionDescriptor.of(INT, ADDRESS, INT, INT),
            ERRNO);
    private static final MethodHandle SHM_UNLINK = downcall("shm_unlink", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
    private static final MethodHandle FTRUNCATE = downcall("ftruncate", FunctionDescriptor.of(INT, INT, SIZE_T),
            ERRNO);
    private static final MethodHandle FCHMOD = downcall("fchmod", FunctionDescriptor.of(INT, INT, INT), ERRNO);
    private static final MethodHandle FCHOWN = downcall("fchown", FunctionDescriptor.of(INT, INT, INT, INT), ERRNO);
    private static final MethodHandle LSEEK = downcall("lseek", FunctionDescriptor.of(SIZE_T, INT, SIZE_T, INT),
            ERRNO);
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, SIZE_T, INT, INT, INT, SIZE_T), ERRNO);
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(INT, ADDRESS, SIZE_T), ERRNO);
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(INT, INT), ERRNO);
    private static final MethodHandle STRERROR = downcall("strerror", FunctionDescriptor.of(ADDRESS, INT));
    private static final MethodHandle GETPID = downcall("getpid", FunctionDescriptor.of(INT));
    private static final MethodHandle KILL = downcall("kill", FunctionDescriptor.of(INT, INT, INT), ERRNO);
    // syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3); variadic after the number.
    private static final MethodHandle SYSCALL_FUTEX = downcall("syscall",
            FunctionDescriptor.of(SIZE_T, SIZE_T, ADDRESS, INT, INT, ADDRESS, ADDRESS, INT),
            Linker.Option.firstVariadicArg(1));
    // syscall(SYS_membarrier, cmd, flags, cpu_id).
    private static final MethodHandle SYSCALL_MEMBARRIER = downcall("syscall",
            FunctionDescriptor.of(SIZE_T, SIZE_T, INT, INT, INT), Linker.Option.firstVariadicArg(1));

    private Libc() {
    }

    /** @return the Linux system call number for this machine, or -1 where there is none */
    private static long syscallNumber(long x8664, long aarch64) {
        String arch = System.getProperty("os.arch", "");
        boolean linux = System.getProperty("os.name", "").startsWith("Linux");
        if (!linux) {
            return -1;
        }
        return switch (arch) {
            case "amd64", "x86_64" -> x8664;
            case "aarch64" -> aarch64;
            default -> -1;
        };
    }

    /**
     * @return empty if this machine has POSIX shared memory and futexes as Conduit uses them
     *         (Linux on x86-64 or AArch64), else why not
     */
    public static Optional<String> sharedMemorySupport() {
        if (SYS_FUTEX < 0) {
            return Optional.of("shared memory needs Linux on x86-64 or AArch64; this is "
                    + System.getProperty("os.name") + " on " + System.getProperty("os.arch"));
        }
        return Optional.empty();
    }

    /**
     * {@code shm_open(name, flags, mode)}.
     *
     * @param name  a POSIX shared-memory name: a slash, then no other slash
     * @param flags {@code O_RDWR}, {@code O_CREAT}, ... ({@code O_CLOEXEC} is always added)
     * @param mode  permission bits for a new object, e.g. {@code 0600}; one made with
     *              {@code O_CREAT|O_EXCL} gets exactly these, whatever the umask
     * @return the file descriptor
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int shmOpen(String name, int flags, int mode) throws IOException {
        int fd = (int) checked((arena, state) -> (int) SHM_OPEN.invokeExact(state, arena.allocateFrom(name),
                flags | O_CLOEXEC, mode), () -> "shm_open(\"" + name + "\", " + flagsText(flags) + ", 0"
                + Integer.toOctalString(mode) + ")");
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
            // shm_open applies the umask: under 0377 a 0600 object would be read-only, and its
            // peer's O_RDWR open would fail. Only an object this call made is changed.
            try {
                fchmod(fd, "shm " + name, mode);
            } catch (IOException e) {
                close(fd);
                throw e;
            }
        }
        return fd;
    }

    /**
     * {@code fchmod(fd, mode)}.
     *
     * @param what names the object in the error, e.g. {@code shm /conduit-1}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void fchmod(int fd, String what, int mode) throws IOException {
        checked((arena, state) -> (int) FCHMOD.invokeExact(state, fd, mode),
                () -> "fchmod(" + fd + " (" + what + "), 0" + Integer.toOctalString(mode) + ")");
    }

    /**
     * {@code fchown(fd, uid, -1)}: gives the object to another user, keeping its group. Only
     * root may.
     *
     * @param what names the object in the error, e.g. {@code shm /conduit-1}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void fchown(int fd, String what, int uid) throws IOException {
        checked((arena, state) -> (int) FCHOWN.invokeExact(state, fd, uid, -1),
                () -> "fchown(" + fd + " (" + what + "), " + uid + ", -1)");
    }

    /**
     * {@code shm_unlink(name)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void shmUnlink(String name) throws IOException {
        checked((arena, state) -> (int) SHM_UNLINK.invokeExact(state, arena.allocateFrom(name)),
                () -> "shm_unlink(\"" + name + "\")");
    }

    /**
     * {@code ftruncate(fd, size)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void ftruncate(int fd, long size) throws IOException {
        checked((arena, state) -> (int) FTRUNCATE.invokeExact(state, fd, size),
                () -> "ftruncate(" + fd + ", " + size + ")");
    }

    /**
     * @return the size of the open file {@code fd}, by {@code lseek(fd, 0, SEEK_END)}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static long fileSize(int fd) throws IOException {
        return checked((arena, state) -> (long) LSEEK.invokeExact(state, fd, 0L, SEEK_END),
                () -> "lseek(" + fd + ", 0, SEEK_END)");
    }

    /**
     * {@code mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)}, as a segment of
     * {@code arena}: closing the arena unmaps it, and from then on any use of the segment throws
     * instead of touching unmapped memory.
     *
     * @return the mapping, {@code size} bytes long
     * @throws ErrnoException with {@code errno} and its text
     */
    public static MemorySegment mmapShared(int fd, long size, Arena arena) throws IOException {
        return mmapShared(fd, size, arena, true);
    }

    /**
     * As {@link #mmapShared(int, long, Arena)}, or with {@code PROT_READ} alone when not
     * {@code writable}: then the segment is read-only, so a write through it throws
     * (the JDK's {@link IllegalArgumentException}) instead of faulting on the protected page.
     */
    public static MemorySegment mmapShared(int fd, long size, Arena arena, boolean writable) throws IOException {
        int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
        long address = checked((a, state) -> ((MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size,
                prot, MAP_SHARED, fd, 0L)).address(),
                () -> "mmap(NULL, " + size + ", " + (writable ? "PROT_READ|PROT_WRITE" : "PROT_READ")
                        + ", MAP_SHARED, " + fd + ", 0)");
        MemorySegment mapped = MemorySegment.ofAddress(address).reinterpret(size, arena, Libc::munmapQuietly);
        return writable ? mapped : mapped.asReadOnly();
    }

    /** {@code munmap}, for an arena's clean-up, which has no one to report a failure to. */
    private static void munmapQuietly(MemorySegment mapping) {
        try {
            checked((a, state) -> (int) MUNMAP.invokeExact(state, mapping, mapping.byteSize()), () -> "munmap");
        } catch (ErrnoException e) {
            // EINVAL only, for a mapping that is not one: nothing to release.
        }
    }

    /**
     * {@code close(fd)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void close(int fd) throws IOException {
        checked((arena, state) -> (int) CLOSE.invokeExact(state, fd), () -> "close(" + fd + ")");
    }

    /** A native call that reports failure as -1 and sets {@code errno} in {@code state}. */
    @FunctionalInterface
    private interface ErrnoCall {
        long invoke(Arena arena, MemorySegment state) throws Throwable;
    }

    /** @return the call's result, unless it is -1: then an exception naming the call and errno */
    private static long checked(ErrnoCall call, Supplier<String> text) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            long result = call.invoke(arena, state);
            if (result == -1) {
                int errno = (int) ERRNO_VALUE.get(state, 0L);
                throw new ErrnoException(text.get() + ": " + strerror(errno) + " (errno " + errno + ")", errno);
            }
            return result;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return this process's id */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param pid a process id
     * @return whether a process with that id exists ({@code kill(pid, 0)} succeeds, or fails
     *         with {@code EPERM}: it exists but is someone else's)
     */
    public static boolean processExists(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            if ((int) KILL.invokeExact(state, pid, 0) == 0) {
                return true;
            }
            return (int) ERRNO_VALUE.get(state, 0L) == 1; // EPERM
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @return room for a {@code struct timespec}, for {@link #futexWait} */
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
    public static void futexWait(MemorySegment word, int expected, MemorySegment timespec, long nanos) {
        MemorySegment timeout = MemorySegment.NULL;
        if (timespec != null) {
            timespec.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
            timeout = timespec;
        }
        try {
            long rc = (long) SYSCALL_FUTEX.invokeExact(SYS_FUTEX, word, FUTEX_WAIT, expected, timeout,
                    MemorySegment.NULL, 0);
            assert rc == 0 || rc == -1 : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code FUTEX_WAKE}: wakes up to {@code count} threads, of any process, sleeping in
     * {@link #futexWait} on {@code word}. Never blocks.
     *
     * @return how many were woken
     */
    public static int futexWake(MemorySegment word, int count) {
        try {
            return (int) (long) SYSCALL_FUTEX.invokeExact(SYS_FUTEX, word, FUTEX_WAKE, count, MemorySegment.NULL,
                    MemorySegment.NULL, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Registers this process for {@link #membarrier()}. Lasts as long as the process; calling
     * again does nothing. Never blocks for long.
     *
     * @return whether the kernel offers {@code MEMBARRIER_CMD_PRIVATE_EXPEDITED} (Linux 4.14)
     *         and registered this process; false on other systems, older kernels, or where a
     *         sandbox forbids the call
     */
    public static boolean registerMembarrier() {
        return Membarrier.PRIVATE;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)}: returns once every other running
     * thread of this process has passed a full memory barrier. So a store another thread made
     * before that barrier is visible to the caller, and a load it makes after sees what the
     * caller stored before the call: the slow half of a store-load handshake whose fast half
     * needs no fence. It costs an interrupt per CPU running this process: for rare events,
     * never a fast path. Call only after {@link #registerMembarrier()} returned true.
     */
    public static void membarrier() {
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, "MEMBARRIER_CMD_PRIVATE_EXPEDITED");
    }

    /**
     * Registers this process for {@link #globalMembarrier()}, as {@link #registerMembarrier()}.
     *
     * @return whether the kernel offers {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED} (Linux 4.16) and
     *         registered this process
     */
    public static boolean registerGlobalMembarrier() {
        return Membarrier.GLOBAL;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)}: as {@link #membarrier()}, for the
     * running threads of every process registered by {@link #registerGlobalMembarrier()}, this
     * one or others. Any process may call it.
     */
    public static void globalMembarrier() {
        membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, "MEMBARRIER_CMD_GLOBAL_EXPEDITED");
    }

    private static void membarrier(int command, String name) {
        long rc = membarrier(command);
        if (rc != 0) {
            throw new IllegalStateException("membarrier(" + name + ") returned " + rc + " though offered");
        }
    }

    private static long membarrier(int command) {
        try {
            return (long) SYSCALL_MEMBARRIER.invokeExact(SYS_MEMBARRIER, command, 0, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Registers once per process, on first use. */
    private static final class Membarrier {
        private static final long OFFERED = SYS_MEMBARRIER < 0 ? 0 : Math.max(0, membarrier(MEMBARRIER_CMD_QUERY));
        static final boolean PRIVATE = register(MEMBARRIER_CMD_PRIVATE_EXPEDITED,
                MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
        static final boolean GLOBAL = register(MEMBARRIER_CMD_GLOBAL_EXPEDITED,
                MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);

        private static boolean register(int command, int registration) {
            int needed = command | registration;
            return (OFFERED & needed) == needed && membarrier(registration) == 0;
        }
    }

    /** A failed call's {@code errno}, beside the message that quotes its text. */
    public static final class ErrnoException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        ErrnoException(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        /** @return the {@code errno} value, e.g. {@link #ENOENT} */
        public int errno() {
            return errno;
        }
    }

    /** @return the C library's text for an {@code errno} value */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? "error " + errno : text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String flagsText(int flags) {
        StringBuilder sb = new StringBuilder((flags & O_RDWR) != 0 ? "O_RDWR" : "O_RDONLY");
        if ((flags & O_CREAT) != 0) {
            sb.append("|O_CREAT");
        }
        if ((flags & O_EXCL) != 0) {
            sb.append("|O_EXCL");
        }
        return sb.toString();
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** @return the real user id of this process */
    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param name a user name
     * @return the user's id, or empty if the system has no such user
     */
    public static OptionalInt uidOf(String name) {
        return idOf(GETPWNAM_R, name, PASSWD_BYTES, PW_UID);
    }

    /**
     * @param name a group name
     * @return the group's id, or empty if the system has no such group
     */
    public static OptionalInt gidOf(String name) {
        return idOf(GETGRNAM_R, name, GROUP_BYTES, GR_GID);
    }

    /**
     * @param uid a user id
     * @return the user's name, or empty if the id has no entry
     */
    public static Optional<String> userName(int uid) {
        return nameOf(GETPWUID_R, uid, PASSWD_BYTES, PW_NAME);
    }

    /**
     * @param gid a group id
     * @return the group's name, or empty if the id has no entry
     */
    public static Optional<String> groupName(int gid) {
        return nameOf(GETGRGID_R, gid, GROUP_BYTES, GR_NAME);
    }

    private static OptionalInt idOf(MethodHandle call, String name, long structBytes, long idOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(structBytes, 8);
            MemorySegment result = arena.allocate(ADDRESS);
            int rc = (int) call.invokeExact(arena.allocateFrom(name), struct,
                    arena.allocate(LOOKUP_BUFFER_BYTES), LOOKUP_BUFFER_BYTES, result);
            if (rc != 0 || result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(struct.get(INT, idOffset));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static Optional<String> nameOf(MethodHandle call, int id, long structBytes, long nameOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(structBytes, 8);
            MemorySegment result = arena.allocate(ADDRESS);
            int rc = (int) call.invokeExact(id, struct, arena.allocate(LOOKUP_BUFFER_BYTES), LOOKUP_BUFFER_BYTES,
                    result);
            if (rc != 0 || result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            MemorySegment name = struct.get(ADDRESS, nameOffset).reinterpret(Long.MAX_VALUE);
            return Optional.of(name.getString(0));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }

    // ---- Durable log ---------------------------------------------------------------------------

    // open(path, flags, mode): variadic after the flags.
    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(INT, ADDRESS, INT, INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    // posix_fallocate returns the error number instead of setting errno.
    private static final MethodHandle POSIX_FALLOCATE = downcall("posix_fallocate",
            FunctionDescriptor.of(INT, INT, SIZE_T, SIZE_T));

    /**
     * {@code open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode)}: makes a new file, failing if
     * anything exists at {@code path}, a symbolic link included (never followed). Blocks only for
     * the file system.
     *
     * @param mode permission bits, e.g. {@code 0600} (the umask may take some away)
     * @return the file descriptor, for {@link #close}
     * @throws ErrnoException with {@code errno} and its text, {@link #EEXIST} if something is there
     */
    public static int createExclusive(String path, int mode) throws IOException {
        return (int) checked((arena, state) -> (int) OPEN.invokeExact(state, arena.allocateFrom(path),
                O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode), () -> "open(\"" + path + "\", O_RDWR|O_CREAT|O_EXCL, 0"
                + Integer.toOctalString(mode) + ")");
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
            error = (int) POSIX_FALLOCATE.invokeExact(fd, 0L, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (error != 0) {
            throw new ErrnoException("posix_fallocate(" + fd + ", 0, " + size + "): " + strerror(error) + " (errno "
                    + error + ")", error);
        }
    }

    // ---- Named FIFOs (fifo:): mkfifo, open, read/write, ppoll, fcntl pipe sizes, statx --------------------
    //
    // read and write take the buffer as an address number, not a segment: the FIFO's hot path then
    // makes no segment per call, so a steady stream allocates nothing. Callers pass addresses of
    // native buffers they keep alive for the call. Each is bound twice: a call that captures errno
    // allocates 40 bytes until C2 compiles it (measured with -XX:TieredStopAtLevel=1), one that
    // does not allocates nothing, so the plain one goes first and only a failed call (-1) is
    // repeated with errno captured. A read or write that failed moved no byte, so repeating it is
    // safe: it fails again and tells why, or succeeds as if it were the first.

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_NONBLOCK = 04000;
    public static final int O_NOCTTY = 0400;
    /** Differs by architecture: asm-generic (AArch64) has 0100000, x86-64 0400000. */
    public static final int O_NOFOLLOW = "aarch64".equals(System.getProperty("os.arch")) ? 0100000 : 0400000;
    /** The same on x86-64 and AArch64. */
    public static final int O_PATH = 010000000;
    public static final int EPERM = 1;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int EBUSY = 16;
    public static final int EPIPE = 32;
    public static final int ELOOP = 40;
    public static final short POLLIN = 0x1;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    /** {@code PIPE_BUF} on Linux: a write of at most this many bytes to a pipe is atomic. */
    public static final int PIPE_BUF = 4096;
    /** {@code S_IFMT} and {@code S_IFIFO}, in {@code st_mode}. */
    public static final int S_IFMT = 0170000;
    public static final int S_IFIFO = 0010000;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_BASIC = 0x7ff;
    /** {@code struct statx} (the same on every architecture): its size and the fields read. */
    private static final long STATX_BYTES = 256;
    private static final long STX_UID = 20;
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;
    /** {@code struct pollfd}: int fd, short events, short revents. */
    private static final long POLLFD_BYTES = 8;

    private static final MethodHandle MKFIFO = downcall("mkfifo", FunctionDescriptor.of(INT, ADDRESS, INT), ERRNO);
    // open(2) is bound once, in the durable log's section above (OPEN).
    private static final FunctionDescriptor READ_WRITE = FunctionDescriptor.of(SIZE_T, INT, ValueLayout.JAVA_LONG,
            SIZE_T);
    private static final MethodHandle READ = downcall("read", READ_WRITE);
    private static final MethodHandle READ_ERRNO = downcall("read", READ_WRITE, ERRNO);
    private static final MethodHandle WRITE = downcall("write", READ_WRITE);
    private static final MethodHandle WRITE_ERRNO = downcall("write", READ_WRITE, ERRNO);
    // ppoll(fds, nfds, timeout, sigmask): the time-out as an address number, beside the pollfd.
    private static final MethodHandle PPOLL = downcall("ppoll",
            FunctionDescriptor.of(INT, ADDRESS, SIZE_T, ValueLayout.JAVA_LONG, ADDRESS), ERRNO);
    // fcntl(fd, cmd, arg): variadic after the command.
    private static final MethodHandle FCNTL = downcall("fcntl", FunctionDescriptor.of(INT, INT, INT, INT),
            ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle STATX = downcall("statx",
            FunctionDescriptor.of(INT, INT, ADDRESS, INT, INT, ADDRESS), ERRNO);

    /**
     * {@code mkfifo(path, mode)}; the umask applies, as for any file.
     *
     * @throws ErrnoException with {@code errno} and its text ({@link #EEXIST} if the path exists)
     */
    public static void mkfifo(String path, int mode) throws IOException {
        checked((arena, state) -> (int) MKFIFO.invokeExact(state, arena.allocateFrom(path), mode),
                () -> "mkfifo(" + path + ", 0" + Integer.toOctalString(mode) + ")");
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
        return (int) checked((arena, state) -> (int) OPEN.invokeExact(state, arena.allocateFrom(path),
                flags | O_CLOEXEC, 0), () -> "open(" + path + ", " + openFlagsText(flags) + ")");
    }

    private static String openFlagsText(int flags) {
        StringBuilder sb = new StringBuilder((flags & 3) == O_WRONLY ? "O_WRONLY" : (flags & 3) == O_RDWR ? "O_RDWR"
                : "O_RDONLY");
        if ((flags & O_NONBLOCK) != 0) {
            sb.append("|O_NONBLOCK");
        }
        if ((flags & O_NOFOLLOW) != 0) {
            sb.append("|O_NOFOLLOW");
        }
        if ((flags & O_PATH) != 0) {
            sb.append("|O_PATH");
        }
        return sb.toString();
    }

    /** @return room for the {@code errno} of {@link #read} and {@link #write}, one per calling thread */
    public static MemorySegment allocateErrnoState(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    /** @return the {@code errno} the last failed call left in {@code state} */
    public static int errno(MemorySegment state) {
        return (int) ERRNO_VALUE.get(state, 0L);
    }

    /**
     * {@code read(fd, address, count)}, allocating nothing. Blocks only if {@code fd} is in
     * blocking mode.
     *
     * @param address the address of native memory with room for {@code count} bytes
     * @param state   from {@link #allocateErrnoState}, used by one thread at a time
     * @return the bytes read, 0 at end of file, or -1 with {@link #errno(MemorySegment)} set
     */
    public static long read(int fd, long address, long count, MemorySegment state) {
        try {
            long n = (long) READ.invokeExact(fd, address, count);
            return n >= 0 ? n : (long) READ_ERRNO.invokeExact(state, fd, address, count);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code write(fd, address, count)}, allocating nothing; as {@link #read}.
     *
     * @return the bytes written, or -1 with {@link #errno(MemorySegment)} set
     */
    public static long write(int fd, long address, long count, MemorySegment state) {
        try {
            long n = (long) WRITE.invokeExact(fd, address, count);
            return n >= 0 ? n : (long) WRITE_ERRNO.invokeExact(state, fd, address, count);
        } catch (Throwable t) {
            throw rethrow(t);
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
     * @param state from {@link #allocateErrnoState}, used by one thread at a time
     * @param nanos the most to wait; 0 to look without waiting
     * @return the {@code revents} bits (0 on time-out or {@code EINTR})
     * @throws ErrnoException for a failure other than {@code EINTR}
     */
    public static int pollOne(int fd, short events, long nanos, MemorySegment poll, MemorySegment state)
            throws ErrnoException {
        poll.set(INT, 0, fd);
        poll.set(ValueLayout.JAVA_SHORT, 4, events);
        poll.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        poll.set(ValueLayout.JAVA_LONG, POLLFD_BYTES, nanos / 1_000_000_000L);
        poll.set(ValueLayout.JAVA_LONG, POLLFD_BYTES + 8, nanos % 1_000_000_000L);
        int rc;
        try {
            rc = (int) PPOLL.invokeExact(state, poll, 1L, poll.address() + POLLFD_BYTES, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            int errno = errno(state);
            if (errno == EINTR) {
                return 0;
            }
            throw new ErrnoException("ppoll(" + fd + "): " + strerror(errno) + " (errno " + errno + ")", errno);
        }
        return rc == 0 ? 0 : poll.get(ValueLayout.JAVA_SHORT, 6) & 0xffff;
    }

    /**
     * {@code fcntl(fd, F_SETPIPE_SZ, bytes)}: asks for a pipe buffer of at least {@code bytes}.
     *
     * @return the size the kernel granted (a power of two pages, at least {@code bytes})
     * @throws ErrnoException {@link #EPERM} above {@code /proc/sys/fs/pipe-max-size} without
     *                        {@code CAP_SYS_RESOURCE}, {@link #EBUSY} below the bytes queued
     */
    public static int setPipeSize(int fd, int bytes) throws IOException {
        return (int) checked((arena, state) -> (int) FCNTL.invokeExact(state, fd, F_SETPIPE_SZ, bytes),
                () -> "fcntl(" + fd + ", F_SETPIPE_SZ, " + bytes + ")");
    }

    /**
     * @return {@code fcntl(fd, F_GETPIPE_SZ)}: the pipe's buffer size in bytes
     * @throws ErrnoException with {@code errno} and its text ({@code EBADF} if not a pipe)
     */
    public static int pipeSize(int fd) throws IOException {
        return (int) checked((arena, state) -> (int) FCNTL.invokeExact(state, fd, F_GETPIPE_SZ, 0),
                () -> "fcntl(" + fd + ", F_GETPIPE_SZ)");
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
            checked((a, state) -> (int) STATX.invokeExact(state, fd, a.allocateFrom(""), AT_EMPTY_PATH, STATX_BASIC,
                    buffer), () -> "statx(" + fd + ", \"\", AT_EMPTY_PATH)");
            long dev = ((long) buffer.get(INT, STX_DEV_MAJOR) << 32) | Integer.toUnsignedLong(
                    buffer.get(INT, STX_DEV_MINOR));
            return new FileStatus(buffer.get(ValueLayout.JAVA_SHORT, STX_MODE) & 0xffff, buffer.get(INT, STX_UID), dev,
                    buffer.get(ValueLayout.JAVA_LONG, STX_INO));
        }
    }

    // ---- System V message queues --------------------------------------------------------------
    // Linux, x86-64 and AArch64 (glibc): constants from <sys/ipc.h>, <sys/msg.h>, <errno.h>.

    public static final int IPC_PRIVATE = 0;
    public static final int IPC_CREAT = 01000;
    public static final int IPC_EXCL = 02000;
    public static final int IPC_NOWAIT = 04000;
    public static final int IPC_RMID = 0;
    public static final int IPC_SET = 1;
    public static final int IPC_STAT = 2;
    public static final int E2BIG = 7;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int ENOMSG = 42;
    public static final int EIDRM = 43;
    /** {@code sizeof(struct msqid_ds)} on LP64 glibc. */
    public static final long MSQID_DS_BYTES = 120;
    /** Offset of {@code msg_perm.mode} (a 4-byte {@code mode_t} in glibc's struct). */
    public static final long MSQID_MODE = 20;
    /** Offset of {@code msg_perm.uid}. */
    public static final long MSQID_UID = 4;
    /** Offset of {@code __msg_cbytes}: bytes now in the queue. */
    public static final long MSQID_CBYTES = 72;
    /** Offset of {@code msg_qnum}: messages now in the queue. */
    public static final long MSQID_QNUM = 80;
    /** Offset of {@code msg_qbytes}: the most bytes the queue holds. */
    public static final long MSQID_QBYTES = 88;
    /** Offset of {@code msg_lspid}, the last sender's pid. */
    public static final long MSQID_LSPID = 96;
    /** Offset of {@code msg_lrpid}, the last receiver's pid. */
    public static final long MSQID_LRPID = 100;
    /**
     * The signal that interrupts a thread blocked in {@code msgrcv} or {@code msgsnd}: the JDK's
     * own I/O-interrupt signal ({@code __SIGRTMAX - 2}), for which {@code sun.nio.ch.NativeThread}
     * installs a handler that does nothing, without {@code SA_RESTART}, so a blocked call ends
     * with {@code EINTR}. Reusing it means installing no handler of ours (an upcall cannot be a
     * signal handler safely); {@link #wakeSignalProblem()} checks that the handler is there.
     */
    public static final int WAKE_SIGNAL = 64 - 2;
    private static final long SIGACTION_BYTES = 152;
    private static final long SA_FLAGS = 136;
    private static final int SA_RESTART = 0x10000000;

    private static final MethodHandle MSGGET = downcall("msgget", FunctionDescriptor.of(INT, INT, INT), ERRNO);
    private static final MethodHandle MSGSND = downcall("msgsnd",
            FunctionDescriptor.of(INT, INT, ADDRESS, SIZE_T, INT), ERRNO);
    private static final MethodHandle MSGRCV = downcall("msgrcv",
            FunctionDescriptor.of(SIZE_T, INT, ADDRESS, SIZE_T, SIZE_T, INT), ERRNO);
    private static final MethodHandle MSGCTL = downcall("msgctl", FunctionDescriptor.of(INT, INT, INT, ADDRESS),
            ERRNO);
    private static final MethodHandle PTHREAD_SELF = downcall("pthread_self", FunctionDescriptor.of(SIZE_T));
    private static final MethodHandle PTHREAD_KILL = downcall("pthread_kill",
            FunctionDescriptor.of(INT, SIZE_T, INT));
    private static final MethodHandle SIGACTION = downcall("sigaction",
            FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS), ERRNO);

    /**
     * {@code msgget(key, flags)}. Never blocks.
     *
     * @param key   the queue's key, or {@link #IPC_PRIVATE}
     * @param flags {@link #IPC_CREAT}, {@link #IPC_EXCL} and the permission bits
     * @return the queue's id
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int msgget(int key, int flags) throws IOException {
        return (int) checked((arena, state) -> (int) MSGGET.invokeExact(state, key, flags),
                () -> "msgget(0x" + Integer.toHexString(key) + ", " + ipcFlagsText(flags) + ")");
    }

    /**
     * {@code msgctl(id, cmd, buf)} for {@link #IPC_STAT}, {@link #IPC_SET} and {@link #IPC_RMID}.
     *
     * @param buf a {@link #MSQID_DS_BYTES} segment, or {@link MemorySegment#NULL} for {@code IPC_RMID}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void msgctl(int id, int cmd, MemorySegment buf) throws IOException {
        checked((arena, state) -> (int) MSGCTL.invokeExact(state, id, cmd, buf), () -> "msgctl(" + id + ", "
                + switch (cmd) {
                    case IPC_RMID -> "IPC_RMID";
                    case IPC_SET -> "IPC_SET";
                    case IPC_STAT -> "IPC_STAT";
                    default -> String.valueOf(cmd);
                } + ")");
    }

    /** @return room for the {@code errno} that {@link #msgsnd} and {@link #msgrcv} capture */
    public static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    /**
     * {@code msgsnd(id, message, size, flags)}: {@code message} holds the {@code long} type, then
     * {@code size} bytes. Blocks while the queue is full unless {@code flags} has
     * {@link #IPC_NOWAIT}; allocates nothing, so failures come back as numbers, not exceptions.
     *
     * @param state a {@link #allocateCallState} segment, the calling thread's alone during the call
     * @return 0, or the {@code errno} of the failure ({@link #EAGAIN} when full and not waiting,
     *         {@link #EINTR}, {@link #EIDRM}, ...)
     */
    public static int msgsnd(MemorySegment state, int id, MemorySegment message, long size, int flags) {
        try {
            int rc = (int) MSGSND.invokeExact(state, id, message, size, flags);
            return rc == -1 ? (int) ERRNO_VALUE.get(state, 0L) : 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code msgrcv(id, buffer, maxSize, type, flags)}: the kernel writes the message's
     * {@code long} type, then its bytes. Blocks until a message matches unless {@code flags} has
     * {@link #IPC_NOWAIT}; allocates nothing.
     *
     * @param state as {@link #msgsnd}
     * @return the message's length, or minus the {@code errno} of the failure ({@link #ENOMSG}
     *         when none matches and not waiting, {@link #E2BIG} when the first match is longer
     *         than {@code maxSize}, {@link #EINTR}, {@link #EIDRM}, ...)
     */
    public static long msgrcv(MemorySegment state, int id, MemorySegment buffer, long maxSize, long type, int flags) {
        try {
            long rc = (long) MSGRCV.invokeExact(state, id, buffer, maxSize, type, flags);
            return rc == -1 ? -(int) ERRNO_VALUE.get(state, 0L) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param call   the call and its arguments, e.g. {@code msgsnd(42, 8192 bytes)}
     * @param errno  the failure's {@code errno}
     * @return the exception {@link #checked} calls throw, for failures reported as numbers
     */
    public static ErrnoException errnoException(String call, int errno) {
        return new ErrnoException(call + ": " + strerror(errno) + " (errno " + errno + ")", errno);
    }

    /** @return the calling thread's {@code pthread_t}, for {@link #pthreadKill} */
    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
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
            return (int) PTHREAD_KILL.invokeExact(thread, signal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @return empty if a handler for {@link #WAKE_SIGNAL} is installed without {@code SA_RESTART}
     *         (so the signal interrupts a blocked system call and does nothing else), else why not
     */
    public static Optional<String> wakeSignalProblem() {
        if (SYS_FUTEX < 0) {
            return Optional.of("waking a thread blocked in msgrcv needs Linux on x86-64 or AArch64; this is "
                    + System.getProperty("os.name") + " on " + System.getProperty("os.arch"));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGACTION_BYTES, 8);
            checked((a, state) -> (int) SIGACTION.invokeExact(state, WAKE_SIGNAL, MemorySegment.NULL, old),
                    () -> "sigaction(" + WAKE_SIGNAL + ", NULL, &old)");
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

    private static String ipcFlagsText(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & IPC_CREAT) != 0) {
            sb.append("IPC_CREAT|");
        }
        if ((flags & IPC_EXCL) != 0) {
            sb.append("IPC_EXCL|");
        }
        return sb.append('0').append(Integer.toOctalString(flags & 0777)).toString();
    }

    // ---- POSIX named semaphores (ipcez's acknowledgements) -------------------------------------

    private static final int ETIMEDOUT = 110;
    private static final int CLOCK_MONOTONIC = 1;

    /**
     * The semaphore calls, bound on first use so that a C library without them (or without
     * {@code sem_clockwait}, glibc 2.30) costs only this facility.
     */
    private static final class Semaphores {
        // sem_open(name, oflag, mode, value): variadic after the flags.
        static final MethodHandle OPEN = downcall("sem_open", FunctionDescriptor.of(ADDRESS, ADDRESS, INT, INT, INT),
                ERRNO, Linker.Option.firstVariadicArg(2));
        static final MethodHandle POST = downcall("sem_post", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
        static final MethodHandle TRYWAIT = downcall("sem_trywait", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
        static final MethodHandle CLOCKWAIT = downcall("sem_clockwait",
                FunctionDescriptor.of(INT, ADDRESS, INT, ADDRESS), ERRNO);
        static final MethodHandle GETVALUE = downcall("sem_getvalue", FunctionDescriptor.of(INT, ADDRESS, ADDRESS),
                ERRNO);
        static final MethodHandle CLOSE = downcall("sem_close", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
        static final MethodHandle UNLINK = downcall("sem_unlink", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
        static final MethodHandle CLOCK_GETTIME = downcall("clock_gettime", FunctionDescriptor.of(INT, INT, ADDRESS));
    }

    /** @return empty if this C library has POSIX named semaphores as Conduit uses them, else why not */
    public static Optional<String> semaphoreSupport() {
        try {
            Objects.requireNonNull(Semaphores.CLOCKWAIT);
            return Optional.empty();
        } catch (LinkageError e) {
            return Optional.of("POSIX named semaphores (sem_open, sem_clockwait) are not in this C library: "
                    + e.getMessage());
        }
    }

    /**
     * {@code sem_open(name, O_CREAT | extra, mode, 0)}: opens the named semaphore, making it with
     * value 0 if it does not exist. Never blocks. The umask applies to {@code mode}.
     *
     * @param name  a POSIX semaphore name: a slash, then no other slash
     * @param extra 0, or {@link #O_EXCL} to fail with {@code EEXIST} if it exists
     * @return the semaphore, to give to {@link #semClose} once
     * @throws ErrnoException with {@code errno} and its text
     */
    public static MemorySegment semOpen(String name, int extra, int mode) throws IOException {
        int flags = O_CREAT | extra;
        long address = checked((arena, state) -> {
            MemorySegment sem = (MemorySegment) Semaphores.OPEN.invokeExact(state, arena.allocateFrom(name), flags,
                    mode, 0);
            return sem.equals(MemorySegment.NULL) ? -1 : sem.address(); // SEM_FAILED is (sem_t *) 0
        }, () -> "sem_open(\"" + name + "\", " + flagsText(flags).replace("O_RDONLY|", "") + ", 0"
                + Integer.toOctalString(mode) + ", 0)");
        return MemorySegment.ofAddress(address);
    }

    /**
     * {@code sem_post(sem)}. Never blocks.
     *
     * @param what names the semaphore in the error
     * @throws ErrnoException with {@code errno} and its text ({@code EOVERFLOW} at its maximum value)
     */
    public static void semPost(MemorySegment sem, String what) throws IOException {
        checked((arena, state) -> (int) Semaphores.POST.invokeExact(state, sem), () -> "sem_post(" + what + ")");
    }

    /**
     * {@code sem_trywait(sem)}. Never blocks.
     *
     * @return whether it took one from the semaphore's value
     * @throws ErrnoException with {@code errno} and its text, for a failure other than {@code EAGAIN}
     */
    public static boolean semTryWait(MemorySegment sem, String what) throws IOException {
        return semCall(state -> (int) Semaphores.TRYWAIT.invokeExact(state, sem), "sem_trywait(" + what + ")");
    }

    /**
     * {@code sem_clockwait(sem, CLOCK_MONOTONIC, now + nanos)}: waits until it can take one from
     * the semaphore's value, or {@code nanos} pass, or a signal comes. Blocks the calling thread
     * in the kernel, so a virtual thread would hold its carrier: callers on virtual threads use
     * {@link #semTryWait} and park instead.
     *
     * @return whether it took one; false when the time passed or a signal came
     * @throws ErrnoException with {@code errno} and its text, for any other failure
     */
    public static boolean semWait(MemorySegment sem, long nanos, String what) throws IOException {
        return semCall(state -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment deadline = allocateTimespec(arena);
                int rc = (int) Semaphores.CLOCK_GETTIME.invokeExact(CLOCK_MONOTONIC, deadline);
                assert rc == 0 : rc;
                long total = deadline.get(ValueLayout.JAVA_LONG, 8) + Math.max(0, nanos);
                deadline.set(ValueLayout.JAVA_LONG, 0, deadline.get(ValueLayout.JAVA_LONG, 0) + total / 1_000_000_000L);
                deadline.set(ValueLayout.JAVA_LONG, 8, total % 1_000_000_000L);
                return (int) Semaphores.CLOCKWAIT.invokeExact(state, sem, CLOCK_MONOTONIC, deadline);
            }
        }, "sem_clockwait(" + what + ", CLOCK_MONOTONIC, " + nanos + " ns)");
    }

    /**
     * {@code sem_getvalue(sem, &value)}. Never blocks.
     *
     * @return the semaphore's value at the moment of the call (0 when threads wait on it)
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int semValue(MemorySegment sem, String what) throws IOException {
        try (Arena values = Arena.ofConfined()) {
            MemorySegment value = values.allocate(INT);
            checked((arena, state) -> (int) Semaphores.GETVALUE.invokeExact(state, sem, value),
                    () -> "sem_getvalue(" + what + ")");
            return value.get(INT, 0);
        }
    }

    /** A semaphore call returning 0 or -1 with {@code errno}. */
    @FunctionalInterface
    private interface SemCall {
        int invoke(MemorySegment state) throws Throwable;
    }

    /** @return true on success, false for {@code EAGAIN}, {@code EINTR} or {@code ETIMEDOUT} */
    private static boolean semCall(SemCall call, String text) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            if (call.invoke(state) == 0) {
                return true;
            }
            int errno = (int) ERRNO_VALUE.get(state, 0L);
            if (errno == EAGAIN || errno == EINTR || errno == ETIMEDOUT) {
                return false;
            }
            throw new ErrnoException(text + ": " + strerror(errno) + " (errno " + errno + ")", errno);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code sem_close(sem)}: after it, {@code sem} must not be used again. Never blocks.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void semClose(MemorySegment sem, String what) throws IOException {
        checked((arena, state) -> (int) Semaphores.CLOSE.invokeExact(state, sem), () -> "sem_close(" + what + ")");
    }

    /**
     * {@code sem_unlink(name)}. Never blocks.
     *
     * @return whether it was there to unlink ({@code false} for {@code ENOENT})
     * @throws ErrnoException with {@code errno} and its text, for any other failure
     */
    public static boolean semUnlink(String name) throws IOException {
        try {
            checked((arena, state) -> (int) Semaphores.UNLINK.invokeExact(state, arena.allocateFrom(name)),
                    () -> "sem_unlink(\"" + name + "\")");
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == ENOENT) {
                return false;
            }
            throw e;
        }
    }
}
