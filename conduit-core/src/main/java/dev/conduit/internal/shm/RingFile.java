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
 *
 * <p>A fan-out's object ({@code shmfan:}, version {@value #FANOUT_VERSION}) has one ring and a
 * table of subscriber slots instead ({@link FanoutRing}): the header says how many slots at
 * offset {@value #SLOTS_AT}, and the data area starts at the first 4096-byte boundary after the
 * table.
 */
final class RingFile implements AutoCloseable {
    /** "CNDTRING" in ASCII, read as a little-endian u64. */
    static final long MAGIC = 0x474E495254444E43L;
    /**
     * 2: records are committed by their header word, which the consumer polls
     * (docs/shm-ring.md); version 1 published them through the tail.
     */
    static final int VERSION = 2;
    /** The fan-out layout: one ring, one consumer position per subscriber slot. */
    static final int FANOUT_VERSION = 3;
    static final long HEADER_BYTES = 4096;
    static final long MAGIC_AT = 0;
    static final long VERSION_AT = 8;
    static final long HEADER_BYTES_AT = 12;
    static final long CAPACITY_AT = 16;
    static final long PID_AT = 24;
    static final long FLAGS_AT = 28;
    /** Fan-out: u32, the number of subscriber slots. */
    static final long SLOTS_AT = 32;
    /**
     * Flag: both processes keep the membarrier handshake (see {@link Ring}), so publishers may
     * skip their fence. The creator sets it if its process is registered for
     * {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}; the other side clears it, before the handshake's
     * {@code mapped}, if its process cannot be.
     */
    static final int FLAG_MEMBARRIER = 1;
    /**
     * Fan-out flag: the publisher's process is registered and calls the barrier before it
     * sleeps, so a registered subscriber may skip its fence. Set at creation, never cleared.
     */
    static final int FLAG_PUBLISHER_BARRIER = 2;
    /** The most subscriber slots a fan-out may have. */
    static final int MAX_SLOTS = 1024;
    static final long RING0_CONTROL = 512;
    static final long RING1_CONTROL = RING0_CONTROL + Ring.CONTROL_BYTES;
    /** The smallest data area: a page. */
    static final long MIN_CAPACITY = 4096;
    /** The largest data area, so that positions' low halves never come round to an old value. */
    static final long MAX_CAPACITY = 1L << 30;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    final String name;
    /** A pair's rings; {@code null} in a fan-out. */
    final Ring clientToServer;
    final Ring serverToClient;
    /** A fan-out's subscriber slots; 0 in a pair. */
    final int slots;
    final MemorySegment mapping;
    private final Arena arena;

    private RingFile(String name, Arena arena, MemorySegment mapping, long capacity, int slots) {
        this.name = name;
        this.arena = arena;
        this.mapping = mapping;
        this.slots = slots;
        this.clientToServer = slots > 0 ? null : new Ring(mapping.asSlice(RING0_CONTROL, Ring.CONTROL_BYTES),
                mapping.asSlice(HEADER_BYTES, capacity));
        this.serverToClient = slots > 0 ? null : new Ring(mapping.asSlice(RING1_CONTROL, Ring.CONTROL_BYTES),
                mapping.asSlice(HEADER_BYTES + capacity, capacity));
    }

    /** @return the object's size for rings of {@code capacity} bytes each */
    static long fileBytes(long capacity) {
        return HEADER_BYTES + 2 * capacity;
    }

    /** @return the offset of the data area: 4096 for a pair (0 slots), after the slot table for a fan-out */
    static long headerBytes(int slots) {
        return slots == 0 ? HEADER_BYTES : (FanoutRing.SLOT_TABLE + (long) slots * FanoutRing.SLOT_BYTES
                + HEADER_BYTES - 1) & -HEADER_BYTES;
    }

    /** @return the object's size: a pair's two rings, or a fan-out's slot table and one ring */
    private static long fileBytes(long capacity, int slots) {
        return slots == 0 ? fileBytes(capacity) : headerBytes(slots) + capacity;
    }

    /** @return the data area of a fan-out's one ring */
    MemorySegment fanoutData() {
        return mapping.asSlice(headerBytes(slots), mapping.byteSize() - headerBytes(slots));
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
        return create(name, capacity, peerUid, socketMode, 0);
    }

    /**
     * As {@link #create(String, long, int, int)}, for a fan-out of {@code slots} subscribers if
     * {@code slots > 0}.
     */
    static RingFile create(String name, long capacity, int peerUid, int socketMode, int slots) throws IOException {
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
            } else if (slots > 0 && (socketMode & 0666) != 0600) {
                // A fan-out's subscribers may be of any user its socket's mode lets in.
                Shm.fchmod(fd, "shm " + name, socketMode & 0666);
            }
            Shm.ftruncate(fd, fileBytes(capacity, slots));
            MemorySegment mapping = Shm.map(fd, fileBytes(capacity, slots), arena);
            mapping.set(U32, VERSION_AT, slots == 0 ? VERSION : FANOUT_VERSION);
            mapping.set(U32, HEADER_BYTES_AT, (int) headerBytes(slots));
            mapping.set(U64, CAPACITY_AT, capacity);
            mapping.set(U32, PID_AT, Processes.getpid());
            int barrier = slots == 0 ? FLAG_MEMBARRIER : FLAG_MEMBARRIER | FLAG_PUBLISHER_BARRIER;
            mapping.set(U32, FLAGS_AT, Membarrier.registerGlobal() ? barrier : 0);
            mapping.set(U32, SLOTS_AT, slots);
            mapping.set(U64, MAGIC_AT, MAGIC);
            return new RingFile(name, arena, mapping, capacity, slots);
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
        return open(name, false);
    }

    /** As {@link #open(String)}, for a fan-out's object if {@code fanout}. */
    static RingFile open(String name, boolean fanout) throws IOException {
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
            int expected = fanout ? FANOUT_VERSION : VERSION;
            if (version != expected) {
                throw new IOException("shared memory " + name + ": ring layout version " + version
                        + "; this Conduit expects version " + expected + " here");
            }
            long capacity = mapping.get(U64, CAPACITY_AT);
            int headerBytes = mapping.get(U32, HEADER_BYTES_AT);
            int slots = fanout ? mapping.get(U32, SLOTS_AT) : 0;
            if (fanout && (slots < 1 || slots > MAX_SLOTS)) {
                throw new IOException("shared memory " + name + ": " + slots + " subscriber slots (expected 1 to "
                        + MAX_SLOTS + ")");
            }
            if (headerBytes != headerBytes(slots) || Long.bitCount(capacity) != 1 || capacity < MIN_CAPACITY
                    || capacity > MAX_CAPACITY || size != fileBytes(capacity, slots)) {
                throw new IOException("shared memory " + name + ": header says " + headerBytes + " header bytes and "
                        + capacity + "-byte rings, which does not fit its " + size + " bytes");
            }
            RingFile file = new RingFile(name, arena, mapping, capacity, slots);
            file.settleMembarrierForThisProcess();
            return file;
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
        boolean on = flag(FLAG_MEMBARRIER);
        clientToServer.useMembarrier(on);
        serverToClient.useMembarrier(on);
    }

    /** @return whether the header's flags have {@code flag} */
    boolean flag(int flag) {
        return (mapping.get(U32, FLAGS_AT) & flag) != 0;
    }

    /** Clears the membarrier flag if this process cannot keep the barrier handshake. */
    void settleMembarrierForThisProcess() {
        int flags = mapping.get(U32, FLAGS_AT);
        if ((flags & FLAG_MEMBARRIER) != 0 && !Membarrier.registerGlobal()) {
            mapping.set(U32, FLAGS_AT, flags & ~FLAG_MEMBARRIER);
        }
    }

    /** @return the pid of the process that created the object */
    int creatorPid() {
        return mapping.get(U32, PID_AT);
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
