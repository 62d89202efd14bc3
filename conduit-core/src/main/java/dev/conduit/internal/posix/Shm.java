package dev.conduit.internal.posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * POSIX shared memory as Conduit uses it on Linux: {@code shm_open}, {@code ftruncate},
 * {@code mmap} and their kin. The rings built on it wait with {@link Futex}, so
 * {@link #unavailability()} speaks for both.
 */
public final class Shm {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int SEEK_END = 2;

    private Shm() {
    }

    /** Bound on the facility's first use. */
    private static final class Calls {
        static final MethodHandle SHM_OPEN = Native.bindLinux("shm_open",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT, INT), Native.ERRNO);
        static final MethodHandle SHM_UNLINK = Native.bindLinux("shm_unlink",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS), Native.ERRNO);
        static final MethodHandle FTRUNCATE = Native.bindLinux("ftruncate", FunctionDescriptor.of(INT, INT, LONG),
                Native.ERRNO);
        static final MethodHandle FCHMOD = Native.bindLinux("fchmod", FunctionDescriptor.of(INT, INT, INT),
                Native.ERRNO);
        static final MethodHandle FCHOWN = Native.bindLinux("fchown", FunctionDescriptor.of(INT, INT, INT, INT),
                Native.ERRNO);
        static final MethodHandle LSEEK = Native.bindLinux("lseek", FunctionDescriptor.of(LONG, INT, LONG, INT),
                Native.ERRNO);
        static final MethodHandle MMAP = Native.bindLinux("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, LONG, INT, INT, INT, LONG), Native.ERRNO);
        static final MethodHandle MUNMAP = Native.bindLinux("munmap",
                FunctionDescriptor.of(INT, ValueLayout.ADDRESS, LONG), Native.ERRNO);
    }

    /**
     * @return empty if this machine has POSIX shared memory and futexes as Conduit uses them
     *         (Linux on x86-64 or AArch64), else why not
     */
    public static Optional<String> unavailability() {
        return Native.linuxOnly("shared memory (shm_open, mmap, futex)");
    }

    /**
     * {@code shm_open(name, flags, mode)}.
     *
     * @param name  a POSIX shared-memory name: a slash, then no other slash
     * @param flags {@code O_RDWR}, {@code O_CREAT}, ... of {@link PosixFiles} ({@code O_CLOEXEC}
     *              is always added)
     * @param mode  permission bits for a new object, e.g. {@code 0600}; one made with
     *              {@code O_CREAT|O_EXCL} gets exactly these, whatever the umask
     * @return the file descriptor, for {@link PosixFiles#close}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static int open(String name, int flags, int mode) throws IOException {
        int fd = (int) Errno.checked((arena, state) -> (int) Calls.SHM_OPEN.invokeExact(state,
                arena.allocateFrom(name), flags | PosixFiles.O_CLOEXEC, mode), () -> "shm_open(\"" + name + "\", "
                + PosixFiles.flagsText(flags) + ", 0" + Integer.toOctalString(mode) + ")");
        int exclusive = PosixFiles.O_CREAT | PosixFiles.O_EXCL;
        if ((flags & exclusive) == exclusive) {
            // shm_open applies the umask: under 0377 a 0600 object would be read-only, and its
            // peer's O_RDWR open would fail. Only an object this call made is changed.
            try {
                fchmod(fd, "shm " + name, mode);
            } catch (IOException e) {
                PosixFiles.close(fd);
                throw e;
            }
        }
        return fd;
    }

    /**
     * {@code shm_unlink(name)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void unlink(String name) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.SHM_UNLINK.invokeExact(state, arena.allocateFrom(name)),
                () -> "shm_unlink(\"" + name + "\")");
    }

    /**
     * {@code fchmod(fd, mode)}.
     *
     * @param what names the object in the error, e.g. {@code shm /conduit-1}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void fchmod(int fd, String what, int mode) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.FCHMOD.invokeExact(state, fd, mode),
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
        Errno.checked((arena, state) -> (int) Calls.FCHOWN.invokeExact(state, fd, uid, -1),
                () -> "fchown(" + fd + " (" + what + "), " + uid + ", -1)");
    }

    /**
     * {@code ftruncate(fd, size)}.
     *
     * @throws ErrnoException with {@code errno} and its text
     */
    public static void ftruncate(int fd, long size) throws IOException {
        Errno.checked((arena, state) -> (int) Calls.FTRUNCATE.invokeExact(state, fd, size),
                () -> "ftruncate(" + fd + ", " + size + ")");
    }

    /**
     * @return the size of the open file {@code fd}, by {@code lseek(fd, 0, SEEK_END)}
     * @throws ErrnoException with {@code errno} and its text
     */
    public static long fileSize(int fd) throws IOException {
        return Errno.checked((arena, state) -> (long) Calls.LSEEK.invokeExact(state, fd, 0L, SEEK_END),
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
    public static MemorySegment map(int fd, long size, Arena arena) throws IOException {
        return map(fd, size, arena, true);
    }

    /**
     * As {@link #map(int, long, Arena)}, or with {@code PROT_READ} alone when not
     * {@code writable}: then the segment is read-only, so a write through it throws
     * (the JDK's {@link IllegalArgumentException}) instead of faulting on the protected page.
     */
    public static MemorySegment map(int fd, long size, Arena arena, boolean writable) throws IOException {
        int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
        long address = Errno.checked((a, state) -> ((MemorySegment) Calls.MMAP.invokeExact(state, MemorySegment.NULL,
                size, prot, MAP_SHARED, fd, 0L)).address(),
                () -> "mmap(NULL, " + size + ", " + (writable ? "PROT_READ|PROT_WRITE" : "PROT_READ")
                        + ", MAP_SHARED, " + fd + ", 0)");
        MemorySegment mapped = Native.segment(address, size, arena, Shm::unmapQuietly);
        return writable ? mapped : mapped.asReadOnly();
    }

    /** {@code munmap}, for an arena's clean-up, which has no one to report a failure to. */
    private static void unmapQuietly(MemorySegment mapping) {
        try {
            Errno.checked((a, state) -> (int) Calls.MUNMAP.invokeExact(state, mapping, mapping.byteSize()),
                    () -> "munmap");
        } catch (ErrnoException e) {
            // EINVAL only, for a mapping that is not one: nothing to release.
        }
    }
}
