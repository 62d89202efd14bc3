package dev.conduit;

import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Shm;
import dev.conduit.internal.shm.ShmNames;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Objects;
import java.util.Optional;

/**
 * A named POSIX shared-memory object ({@code /dev/shm/NAME}) mapped into this process: bytes that
 * every process mapping the same name reads and writes, with atomic {@code int} and {@code long}
 * access for coordinating through them.
 *
 * <pre>{@code
 * try (SharedMemory memory = SharedMemory.create("jobs", 4096)) {   // and elsewhere: open("jobs")
 *     int ticket = memory.getAndAddInt(0, 1);
 * } finally {
 *     SharedMemory.unlink("jobs");
 * }
 * }</pre>
 *
 * <p><b>Blocking.</b> {@link #create}, {@link #open} and {@link #unlink} make a few system calls
 * on the memory file system and return without waiting for any other process. The atomics and
 * {@link #close} never wait for another thread or process.
 *
 * <p><b>Threads and processes.</b> Every method may be called from any thread. Each atomic
 * ({@link #getInt}, {@link #setInt}, {@link #compareAndSetInt}, {@link #getAndAddInt} and the
 * {@code long} ones) has volatile semantics, as if the words were volatile fields shared by every
 * thread of every process that maps the object: they are safe to race, and what a thread wrote
 * before an atomic write is visible to a thread that reads that value with an atomic. Values are
 * in the machine's byte order (little-endian on every machine this runs on), so a C peer sees the
 * same numbers through {@code _Atomic int32_t} and {@code _Atomic int64_t} at the same offsets.
 * {@link #segment()} is plain shared memory with no other synchronization: publish what is
 * written through it with an atomic.
 *
 * <p><b>Lifetime.</b> The name lives in {@code /dev/shm} until {@link #unlink} removes it, even
 * after every process that used it has exited; a mapping stays valid after its name is unlinked,
 * until {@link #close}. Linux only (x86-64 and AArch64); elsewhere the factories throw
 * {@link TransportUnavailableException}.
 */
public final class SharedMemory implements AutoCloseable {
    /** {@code NAME_MAX}: the longest file name in {@code /dev/shm}. */
    private static final int NAME_MAX_BYTES = 255;
    private static final int MODE = 0600;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final String name;
    private final Arena arena;
    private final MemorySegment segment;

    private SharedMemory(String name, Arena arena, MemorySegment segment) {
        this.name = name;
        this.arena = arena;
        this.segment = segment;
    }

    /**
     * Creates the object {@code "/" + name} (mode 0600, failing if the name exists), sizes it and
     * maps it read/write, shared. The kernel fills it with zeros.
     *
     * @param name a file name in {@code /dev/shm}: at most 255 bytes of UTF-8, no {@code '/'}, no
     *             NUL, not {@code "."}, no {@code ".."}, not of the form {@code conduit-PID-N-HEX}
     *             that the {@code shm:} transport keeps for its rings
     * @param size its size in bytes, at least 1
     * @return the mapping, open until {@link #close}
     * @throws IllegalArgumentException   if the name or size is not as above
     * @throws FileAlreadyExistsException if the name exists ({@code EEXIST}); the message names the
     *                                    call, the name and errno's text, e.g. "File exists"
     * @throws TransportUnavailableException if this system has no POSIX shared memory
     * @throws IOException                if a system call fails, named with errno's text; the name
     *                                    is then removed again
     */
    public static SharedMemory create(String name, long size) throws IOException {
        checkName(name);
        if (size <= 0) {
            throw new IllegalArgumentException("shared memory '" + name + "': size " + size + " (expected: > 0)");
        }
        checkSupported(name);
        try {
            int fd = Shm.open("/" + name, PosixFiles.O_RDWR | PosixFiles.O_CREAT | PosixFiles.O_EXCL, MODE);
            try {
                Shm.ftruncate(fd, size);
                return map(name, fd, size, true);
            } catch (IOException | RuntimeException e) {
                // No one else can have mapped it usefully yet: removing it lets a second try begin afresh.
                ShmNames.unlinkQuietly(name);
                throw e;
            } finally {
                closeQuietly(fd);
            }
        } catch (ErrnoException e) {
            throw failure(name, "create", e);
        }
    }

    /**
     * Maps the existing object {@code "/" + name} read/write, shared, at its current size.
     *
     * @param name as for {@link #create}
     * @return the mapping, open until {@link #close}
     * @throws IllegalArgumentException if the name is not as {@link #create} requires
     * @throws NoSuchFileException      if there is no such object ({@code ENOENT}); the message
     *                                  names the call, the name and "No such file or directory"
     * @throws TransportUnavailableException if this system has no POSIX shared memory
     * @throws IOException              if the object is empty (its creator has not sized it yet),
     *                                  or a system call fails, named with errno's text
     */
    public static SharedMemory open(String name) throws IOException {
        return open(name, true);
    }

    /**
     * Maps the existing object {@code "/" + name} for reading only, shared, at its current size
     * (axeberg's {@code shmat(id, READ)}): it needs only read permission on the object, and this
     * process cannot change it. A writing atomic throws {@link UnsupportedOperationException}, and
     * a write through {@link #segment()} what the JDK throws for a read-only segment
     * ({@link IllegalArgumentException}); the protected pages are never touched. Reads
     * see what writers in other processes publish, as for {@link #open}.
     *
     * @param name as for {@link #create}
     * @return the read-only mapping, open until {@link #close}
     * @throws IllegalArgumentException if the name is not as {@link #create} requires
     * @throws NoSuchFileException      if there is no such object ({@code ENOENT})
     * @throws AccessDeniedException    if this user may not read it ({@code EACCES})
     * @throws TransportUnavailableException if this system has no POSIX shared memory
     * @throws IOException              as for {@link #open}
     */
    public static SharedMemory openReadOnly(String name) throws IOException {
        return open(name, false);
    }

    private static SharedMemory open(String name, boolean writable) throws IOException {
        checkName(name);
        checkSupported(name);
        String verb = writable ? "open" : "openReadOnly";
        try {
            int fd = Shm.open("/" + name, writable ? PosixFiles.O_RDWR : PosixFiles.O_RDONLY, 0);
            try {
                long size = Shm.fileSize(fd);
                if (size == 0) {
                    throw new IOException("shared memory '" + name + "': " + verb + ": the object is empty (0 bytes);"
                            + " its creator has not sized it yet");
                }
                return map(name, fd, size, writable);
            } finally {
                closeQuietly(fd);
            }
        } catch (ErrnoException e) {
            throw failure(name, verb, e);
        }
    }

    /**
     * Removes the name {@code "/" + name}. Mappings of the object, in this process and others,
     * stay valid until closed; the memory is freed when the last is.
     *
     * @param name as for {@link #create}
     * @throws IllegalArgumentException if the name is not as {@link #create} requires
     * @throws NoSuchFileException      if there is no such name ({@code ENOENT})
     * @throws TransportUnavailableException if this system has no POSIX shared memory
     * @throws IOException              if {@code shm_unlink} fails otherwise, named with errno's text
     */
    public static void unlink(String name) throws IOException {
        checkName(name);
        checkSupported(name);
        try {
            Shm.unlink("/" + name);
        } catch (ErrnoException e) {
            throw failure(name, "unlink", e);
        }
    }

    /**
     * The object's name. Works after {@link #close} too.
     *
     * @return the name given to {@link #create}, {@link #open} or {@link #openReadOnly}, without
     *         the leading slash
     */
    public String name() {
        return name;
    }

    /**
     * Whether this mapping refuses writes. Works after {@link #close} too.
     *
     * @return {@code true} if this mapping came from {@link #openReadOnly}
     */
    public boolean isReadOnly() {
        return segment.isReadOnly();
    }

    /**
     * The mapping's size, fixed when it was mapped. Works after {@link #close} too.
     *
     * @return the size in bytes, at least 1
     */
    public long size() {
        return segment.byteSize();
    }

    /**
     * The whole mapping, {@link #size()} bytes. After {@link #close} any access through it, or a
     * slice of it, throws {@link IllegalStateException} instead of touching unmapped memory. A
     * read-only mapping's segment is read-only: writes through it throw
     * {@link IllegalArgumentException} ("Attempt to write a read-only segment").
     *
     * @return the mapping; the same segment on every call
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Reads the {@code int} at {@code offset} with volatile semantics.
     *
     * @param offset the word's byte offset in the mapping: a multiple of 4, at least 0 and at most
     *               {@link #size()} - 4
     * @return the {@code int} at {@code offset}
     * @throws IllegalArgumentException if {@code offset} is negative, not a multiple of 4, or too
     *                                  close to the end for 4 bytes
     * @throws IllegalStateException    if this is closed
     */
    public int getInt(long offset) {
        return (int) INT.getVolatile(segment, at(offset, Integer.BYTES));
    }

    /**
     * Writes {@code value} at {@code offset} with volatile semantics.
     *
     * @param offset the word's byte offset, as for {@link #getInt}
     * @param value  the value to store
     * @throws IllegalArgumentException as for {@link #getInt}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public void setInt(long offset, int value) {
        INT.setVolatile(segment, writable("setInt", offset, Integer.BYTES), value);
    }

    /**
     * Atomically sets the {@code int} at {@code offset} to {@code newValue} if it holds
     * {@code expected}.
     *
     * @param offset   the word's byte offset, as for {@link #getInt}
     * @param expected the value the word must hold for the swap
     * @param newValue the value it then holds
     * @return whether it held {@code expected} and now holds {@code newValue}
     * @throws IllegalArgumentException as for {@link #getInt}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public boolean compareAndSetInt(long offset, int expected, int newValue) {
        return INT.compareAndSet(segment, writable("compareAndSetInt", offset, Integer.BYTES), expected, newValue);
    }

    /**
     * Atomically adds {@code delta} to the {@code int} at {@code offset}, wrapping on overflow.
     *
     * @param offset the word's byte offset, as for {@link #getInt}
     * @param delta  the amount to add, negative to subtract
     * @return the value before the addition
     * @throws IllegalArgumentException as for {@link #getInt}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public int getAndAddInt(long offset, int delta) {
        return (int) INT.getAndAdd(segment, writable("getAndAddInt", offset, Integer.BYTES), delta);
    }

    /**
     * Reads the {@code long} at {@code offset} with volatile semantics.
     *
     * @param offset the word's byte offset in the mapping: a multiple of 8, at least 0 and at most
     *               {@link #size()} - 8
     * @return the {@code long} at {@code offset}
     * @throws IllegalArgumentException if {@code offset} is negative, not a multiple of 8, or too
     *                                  close to the end for 8 bytes
     * @throws IllegalStateException    if this is closed
     */
    public long getLong(long offset) {
        return (long) LONG.getVolatile(segment, at(offset, Long.BYTES));
    }

    /**
     * Writes {@code value} at {@code offset} with volatile semantics.
     *
     * @param offset the word's byte offset, as for {@link #getLong}
     * @param value  the value to store
     * @throws IllegalArgumentException as for {@link #getLong}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public void setLong(long offset, long value) {
        LONG.setVolatile(segment, writable("setLong", offset, Long.BYTES), value);
    }

    /**
     * Atomically sets the {@code long} at {@code offset} to {@code newValue} if it holds
     * {@code expected}.
     *
     * @param offset   the word's byte offset, as for {@link #getLong}
     * @param expected the value the word must hold for the swap
     * @param newValue the value it then holds
     * @return whether it held {@code expected} and now holds {@code newValue}
     * @throws IllegalArgumentException as for {@link #getLong}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public boolean compareAndSetLong(long offset, long expected, long newValue) {
        return LONG.compareAndSet(segment, writable("compareAndSetLong", offset, Long.BYTES), expected, newValue);
    }

    /**
     * Atomically adds {@code delta} to the {@code long} at {@code offset}, wrapping on overflow.
     *
     * @param offset the word's byte offset, as for {@link #getLong}
     * @param delta  the amount to add, negative to subtract
     * @return the value before the addition
     * @throws IllegalArgumentException as for {@link #getLong}
     * @throws IllegalStateException    if this is closed
     * @throws UnsupportedOperationException if this mapping is read-only
     */
    public long getAndAddLong(long offset, long delta) {
        return (long) LONG.getAndAdd(segment, writable("getAndAddLong", offset, Long.BYTES), delta);
    }

    /**
     * Unmaps the memory; the name stays until {@link #unlink}. Safe to call more than once. A
     * thread using the segment meanwhile gets an {@link IllegalStateException}, never unmapped
     * memory.
     *
     * @throws IllegalStateException if a native call that was passed {@link #segment()} is using
     *                               it at this moment; the memory then stays mapped
     */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** @return {@code offset}, checked as by {@link #at}, in a mapping that may be written */
    private long writable(String call, long offset, int bytes) {
        if (segment.isReadOnly()) {
            throw new UnsupportedOperationException("shared memory '" + name + "': " + call + " at offset " + offset
                    + ": the mapping is read-only (opened with openReadOnly; open(name) maps it for writing)");
        }
        return at(offset, bytes);
    }

    /** @return {@code offset}, checked so that the error names this object rather than a var handle */
    private long at(long offset, int bytes) {
        if (offset < 0) {
            throw new IllegalArgumentException("shared memory '" + name + "': offset " + offset + " is negative");
        }
        if (offset % bytes != 0) {
            throw new IllegalArgumentException("shared memory '" + name + "': offset " + offset + " is not " + bytes
                    + "-byte aligned");
        }
        if (offset > segment.byteSize() - bytes) {
            throw new IllegalArgumentException("shared memory '" + name + "': offset " + offset + " + " + bytes
                    + " bytes is beyond the " + segment.byteSize() + "-byte segment");
        }
        return offset;
    }

    /** Maps {@code size} bytes of {@code fd} into an arena of their own, so that closing it unmaps them. */
    private static SharedMemory map(String name, int fd, long size, boolean writable) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            return new SharedMemory(name, arena, Shm.map(fd, size, arena, writable));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        Optional<String> problem = ShmNames.problem(name, NAME_MAX_BYTES);
        if (problem.isEmpty() && ShmNames.isRing(name)) {
            problem = Optional.of("has the form conduit-PID-N-HEX, kept for the shm: transport's rings"
                    + " (listeners remove such objects when their process is gone)");
        }
        if (problem.isPresent()) {
            throw new IllegalArgumentException("shared memory '" + name + "': the name " + problem.get());
        }
    }

    private static void checkSupported(String name) throws TransportUnavailableException {
        Optional<String> why = Shm.unavailability();
        if (why.isPresent()) {
            throw new TransportUnavailableException("shared memory '" + name + "': " + why.get());
        }
    }

    /**
     * @return the failure as the closest JDK exception, so that callers outside this module can
     *         tell a missing name from a taken one; the errno exception stays as the cause
     */
    private static IOException failure(String name, String verb, ErrnoException e) {
        String message = "shared memory '" + name + "': " + verb + ": " + e.getMessage();
        IOException failure = switch (e.errno()) {
            case Errno.ENOENT -> new NoSuchFileException(null, null, message);
            case Errno.EEXIST -> new FileAlreadyExistsException(null, null, message);
            case Errno.EACCES -> new AccessDeniedException(null, null, message);
            default -> new IOException(message);
        };
        failure.initCause(e);
        return failure;
    }

    private static void closeQuietly(int fd) {
        try {
            PosixFiles.close(fd);
        } catch (IOException e) {
            // Linux frees the descriptor even when close fails, and the mapping holds its own
            // reference to the object: there is nothing to retry and nothing lost.
        }
    }
}
