package dev.conduit.internal.shm;

import dev.conduit.internal.posix.Membarrier;
import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Processes;
import dev.conduit.internal.posix.Shm;
import dev.conduit.internal.posix.Users;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A POSIX shared-memory object holding one connection's two rings, mapped into this process:
 * ring 0 carries the client's messages to the server, ring 1 the server's to the client. The
 * layout, byte by byte, is in {@code docs/shm-ring.md} and {@code conduit_ring.h}.
 *
 * <pre>
 *    0  u64 magic "CNDTRING"      8  u32 version (2)     12 u32 header bytes (4096)
 *   16  u64 capacity of each data area (a power of two)
 *   24  u32 pid of the creator   28  u32 flags (bit 0: {@link #FLAG_MEMBARRIER})
 *  512  ring 0 control (512 bytes)   1024  ring 1 control (512 bytes)
 * 4096  ring 0 data                   4096 + capacity  ring 1 data
 * </pre>
 *
 * All numbers are little-endian, the byte order of every machine the transport runs on.
 */
final class RingFile implements AutoCloseable {
    /** "CNDTRING" in ASCII, read as a little-endian u64. */
    static final long MAGIC = 0x474E495254444E43L;
    /**
     * 2: records are committed by their header word, which the consumer polls
     * (docs/shm-ring.md); version 1 published them through the tail.
     */
    static final int VERSION = 2;
    static final long HEADER_BYTES = 4096;
    static final long MAGIC_AT = 0;
    static final long VERSION_AT = 8;
    static final long HEADER_BYTES_AT = 12;
    static final long CAPACITY_AT = 16;
    static final long PID_AT = 24;
    static final long FLAGS_AT = 28;
    /**
     * Flag: both processes keep the membarrier handshake (see {@link Ring}), so publishers may
     * skip their fence. The creator sets it if its process is registered for
     * {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}; the other side clears it, before the handshake's
     * {@code mapped}, if its process cannot be.
     */
    static final int FLAG_MEMBARRIER = 1;
    static final long RING0_CONTROL = 512;
    static final long RING1_CONTROL = RING0_CONTROL + Ring.CONTROL_BYTES;
    /** The smallest data area: a page. */
    static final long MIN_CAPACITY = 4096;
    /** The largest data area, so that positions' low halves never come round to an old value. */
    static final long MAX_CAPACITY = 1L << 30;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    final String name;
    final Ring clientToServer;
    final Ring serverToClient;
    private final Arena arena;
    private final MemorySegment mapping;

    private RingFile(String name, Arena arena, MemorySegment mapping, long capacity) {
        this.name = name;
        this.arena = arena;
        this.mapping = mapping;
        this.clientToServer = new Ring(mapping.asSlice(RING0_CONTROL, Ring.CONTROL_BYTES),
                mapping.asSlice(HEADER_BYTES, capacity));
        this.serverToClient = new Ring(mapping.asSlice(RING1_CONTROL, Ring.CONTROL_BYTES),
                mapping.asSlice(HEADER_BYTES + capacity, capacity));
    }

    /** @return the object's size for rings of {@code capacity} bytes each */
    static long fileBytes(long capacity) {
        return HEADER_BYTES + 2 * capacity;
    }

    /**
     * Creates the object (0600, failing if it exists), sizes and maps it, and writes the header.
     * The rings start empty: the kernel zero-fills the object.
     *
     * <p>A peer of another user could not open a 0600 object, so for one it is handed over:
     * a root process gives the object to the peer's user (root keeps access, and nobody else
     * gets any); any other process can only widen the mode, to the one its handshake socket
     * has, which already let that user in.
     *
     * @param name       the POSIX name, {@code /conduit-...}
     * @param capacity   each ring's data bytes: a power of two from {@value #MIN_CAPACITY}
     * @param peerUid    the user of the process that is to map it, or -1 for this process's user
     * @param socketMode the mode of the socket the peer came through
     * @throws IOException naming the call and errno if the object cannot be made; it is then
     *                     unlinked again
     */
    static RingFile create(String name, long capacity, int peerUid, int socketMode) throws IOException {
        if (Long.bitCount(capacity) != 1 || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("ring capacity " + capacity + " (expected a power of two from "
                    + MIN_CAPACITY + " to " + MAX_CAPACITY + ")");
        }
        int fd = Shm.open(name, PosixFiles.O_RDWR | PosixFiles.O_CREAT | PosixFiles.O_EXCL, 0600);
        Arena arena = Arena.ofShared();
        try {
            int uid = Users.getuid();
            if (peerUid >= 0 && peerUid != uid) {
                if (uid == 0) {
                    Shm.fchown(fd, "shm " + name, peerUid);
                } else {
                    Shm.fchmod(fd, "shm " + name, socketMode & 0666);
                }
            }
            Shm.ftruncate(fd, fileBytes(capacity));
            MemorySegment mapping = Shm.map(fd, fileBytes(capacity), arena);
            mapping.set(U32, VERSION_AT, VERSION);
            mapping.set(U32, HEADER_BYTES_AT, (int) HEADER_BYTES);
            mapping.set(U64, CAPACITY_AT, capacity);
            mapping.set(U32, PID_AT, Processes.getpid());
            mapping.set(U32, FLAGS_AT, Membarrier.registerGlobal() ? FLAG_MEMBARRIER : 0);
            mapping.set(U64, MAGIC_AT, MAGIC);
            return new RingFile(name, arena, mapping, capacity);
        } catch (IOException | RuntimeException e) {
            arena.close();
            ShmNames.unlinkQuietly(name.substring(1));
            throw e;
        } finally {
            PosixFiles.close(fd);
        }
    }

    /**
     * Maps an existing object and checks its header.
     *
     * @throws IOException naming the call and errno if it cannot be opened or mapped, or what is
     *                     wrong with its header
     */
    static RingFile open(String name) throws IOException {
        int fd = Shm.open(name, PosixFiles.O_RDWR, 0);
        Arena arena = Arena.ofShared();
        try {
            long size = Shm.fileSize(fd);
            if (size < HEADER_BYTES) {
                throw new IOException("shared memory " + name + ": " + size + " bytes, too short for the "
                        + HEADER_BYTES + "-byte header");
            }
            MemorySegment mapping = Shm.map(fd, size, arena);
            long magic = mapping.get(U64, MAGIC_AT);
            if (magic != MAGIC) {
                throw new IOException("shared memory " + name + ": magic 0x" + Long.toHexString(magic)
                        + " is not a Conduit ring's (0x" + Long.toHexString(MAGIC) + ")");
            }
            int version = mapping.get(U32, VERSION_AT);
            if (version != VERSION) {
                throw new IOException("shared memory " + name + ": ring layout version " + version
                        + "; this Conduit speaks version " + VERSION);
            }
            long capacity = mapping.get(U64, CAPACITY_AT);
            int headerBytes = mapping.get(U32, HEADER_BYTES_AT);
            if (headerBytes != HEADER_BYTES || Long.bitCount(capacity) != 1 || capacity < MIN_CAPACITY
                    || capacity > MAX_CAPACITY || size != fileBytes(capacity)) {
                throw new IOException("shared memory " + name + ": header says " + headerBytes + " header bytes and "
                        + capacity + "-byte rings, which does not fit its " + size + " bytes");
            }
            int flags = mapping.get(U32, FLAGS_AT);
            if ((flags & FLAG_MEMBARRIER) != 0 && !Membarrier.registerGlobal()) {
                mapping.set(U32, FLAGS_AT, flags & ~FLAG_MEMBARRIER);
            }
            return new RingFile(name, arena, mapping, capacity);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        } finally {
            PosixFiles.close(fd);
        }
    }

    /**
     * Sets both rings to the handshake the header's flags now say, once both sides have mapped
     * the object and neither will change them.
     */
    void settleBarriers() {
        boolean on = (mapping.get(U32, FLAGS_AT) & FLAG_MEMBARRIER) != 0;
        clientToServer.useMembarrier(on);
        serverToClient.useMembarrier(on);
    }

    /**
     * Unmaps the rings. Fails with {@link IllegalStateException} while a thread is in a native
     * call on them (a futex wait): wake it first.
     */
    @Override
    public void close() {
        arena.close();
    }
}
