package dev.conduit.internal.zipc;

import dev.conduit.internal.posix.Futex;
import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Shm;
import dev.conduit.internal.shm.ShmNames;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * ZIPC's queue in {@code /dev/shm/NAME}, mapped into this process: the layout of ZIPC's current
 * revision ({@code src/queue.zig}, {@code src/zipc.zig}), for {@code Q} slots of {@code M} bytes.
 *
 * <pre>
 *   0            u32 head: the next slot the consumer reads (written by the consumer only)
 *   4..63        padding (head's cache line)
 *  64            u32 tail: the next slot the producer writes; the futex word the consumer sleeps on
 *  68            u32 waiters: consumers parked, or about to park, in FUTEX_WAIT on tail
 *  72..127       padding (tail's cache line)
 * 128            u64 length[Q]: the length of the message in each slot
 * 128 + 8Q       Q slots of M bytes; slot i at 128 + 8Q + i*M
 * F = 128 + 8Q + QM, rounded up to a multiple of 4:  i32 init flag, 0x5A495043 ("ZIPC")
 * F + 4          end of the object
 * </pre>
 *
 * Head and tail run from 0 to Q - 1 and wrap; the queue is empty when they are equal and full
 * when tail + 1 is head (mod Q), so it holds Q - 1 messages. Everything is little-endian.
 */
final class ZipcQueue {
    static final long HEAD = 0;
    static final long TAIL = 64;
    static final long WAITERS = 68;
    static final long LENGTHS = 128;
    /** The init flag's value: "ZIPC" read as a little-endian i32 is "CPIZ"; ZIPC compares numbers. */
    static final int MAGIC = 0x5A495043;
    /** ZIPC's name field is {@code [39:0]u8}: 39 bytes, the leading slash included. */
    static final int NAME_MAX = 39;
    /** At most 2^20 slots, and slots of at most 1 GiB in all, so every offset fits an {@code int}. */
    static final int MAX_SLOTS = 1 << 20;
    static final long MAX_SLOT_BYTES = 1L << 30;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    final String name;
    final int slots;
    final int slotSize;
    final MemorySegment mapping;
    final MemorySegment tailWord;
    final Mappers mappers;
    private final Arena arena;

    private ZipcQueue(String name, int slots, int slotSize, Arena arena, MemorySegment mapping, long inode) {
        this.name = name;
        this.slots = slots;
        this.slotSize = slotSize;
        this.arena = arena;
        this.mapping = mapping;
        this.tailWord = mapping.asSlice(TAIL, 4);
        this.mappers = new Mappers(name, inode, mapping.address());
    }

    /** @return the object's size in bytes for {@code slots} slots of {@code slotSize} bytes */
    static long size(int slots, int slotSize) {
        return flagOffset(slots, slotSize) + 4;
    }

    static long flagOffset(int slots, int slotSize) {
        return (slotsOffset(slots) + (long) slots * slotSize + 3) & -4L;
    }

    static long slotsOffset(int slots) {
        return LENGTHS + 8L * slots;
    }

    /**
     * Opens, or makes, the object as ZIPC's two ends both do ({@code O_CREAT|O_RDWR}), sizes it
     * if it is new and maps it.
     *
     * @param where names the endpoint and call for errors
     * @throws IOException naming errno if a call fails, or both layouts if the object exists
     *                     with another size
     */
    static ZipcQueue open(String where, String name, int slots, int slotSize, int mode) throws IOException {
        int fd = Shm.open(name, PosixFiles.O_RDWR | PosixFiles.O_CREAT, mode);
        Arena arena = Arena.ofShared();
        try {
            long expected = size(slots, slotSize);
            long found = Shm.fileSize(fd);
            if (found == 0) {
                Shm.ftruncate(fd, expected);
                found = Shm.fileSize(fd);
            }
            if (found != expected) {
                throw new IOException(where + ": /dev/shm" + name + " is " + found + " bytes, but slots=" + slots
                        + " and slotSize=" + slotSize + " make a queue of " + expected + " bytes" + guess(found, slots)
                        + "; open it with the slots and slotSize it was made with, or remove it (rm /dev/shm"
                        + name + ") if it is stale");
            }
            MemorySegment mapping = Shm.map(fd, expected, arena);
            return new ZipcQueue(name, slots, slotSize, arena, mapping, PosixFiles.fstat(fd).inode());
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        } finally {
            PosixFiles.close(fd);
        }
    }

    /** @return what slot size would explain {@code found} bytes with the same slot count, if one would */
    private static String guess(long found, int slots) {
        for (long slotSize = Math.max(1, (found - 4 - slotsOffset(slots) - 3) / slots);
                slotSize <= (found - 4 - slotsOffset(slots)) / slots && slotSize <= Integer.MAX_VALUE; slotSize++) {
            if (size(slots, (int) slotSize) == found) {
                return " (found: slots=" + slots + " and slotSize=" + slotSize + " would fit it)";
            }
        }
        return " (found: a queue of other slots and slotSize)";
    }

    /** @return {@code NAME} of {@code /NAME}, or why it is not a name ZIPC takes */
    static String problem(String address) {
        if (!address.startsWith("/")) {
            return "'" + address + "' does not start with '/' (ZIPC names are /NAME)";
        }
        int bytes = address.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > NAME_MAX) {
            return "'" + address + "' is " + bytes + " bytes long; ZIPC's limit is " + NAME_MAX
                    + ", the leading '/' included";
        }
        return ShmNames.problem(address.substring(1), NAME_MAX - 1).map(p -> "'" + address + "': the name " + p)
                .orElse(null);
    }

    int head() {
        return (int) INT.getAcquire(mapping, HEAD);
    }

    void publishHead(int head) {
        INT.setRelease(mapping, HEAD, head);
    }

    int tail() {
        return (int) INT.getAcquire(mapping, TAIL);
    }

    /**
     * Publishes the slots before {@code tail}. Volatile (sequentially consistent), as ZIPC's
     * {@code commit}: the producer then reads {@link #waiters()}, and a consumer adds itself
     * to them before its futex wait compares the tail, so one of the two sees the other.
     */
    void publishTail(int tail) {
        INT.setVolatile(mapping, TAIL, tail);
    }

    int waiters() {
        return (int) INT.getVolatile(mapping, WAITERS);
    }

    void addWaiter() {
        INT.getAndAdd(mapping, WAITERS, 1);
    }

    /** Withdraws one waiter, never below zero, as ZIPC does (a clobbered count only costs wakes). */
    void removeWaiter() {
        int seen = waiters();
        while (seen != 0 && !INT.compareAndSet(mapping, WAITERS, seen, seen - 1)) {
            seen = waiters();
        }
    }

    /** @return whether a sender has initialised the queue (the flag, read with acquire) */
    boolean initialised() {
        return (int) INT.getAcquire(mapping, flagOffset(slots, slotSize)) == MAGIC;
    }

    /**
     * A sender's first step, as ZIPC's: a queue not yet initialised gets head and tail 0, then
     * the flag, with release. {@code waiters} stays: a receiver may already be parked.
     */
    void initialise() {
        if (!initialised()) {
            INT.setVolatile(mapping, HEAD, 0);
            INT.setVolatile(mapping, TAIL, 0);
            INT.setRelease(mapping, flagOffset(slots, slotSize), MAGIC);
        }
    }

    long length(int slot) {
        return mapping.get(ValueLayout.JAVA_LONG, LENGTHS + 8L * slot);
    }

    void setLength(int slot, long length) {
        mapping.set(ValueLayout.JAVA_LONG, LENGTHS + 8L * slot, length);
    }

    /** @return where slot {@code slot}'s bytes start in {@link #mapping} */
    long slotAt(int slot) {
        return slotsOffset(slots) + (long) slot * slotSize;
    }

    /** @return the whole mapping as a buffer, for views and copies */
    ByteBuffer buffer() {
        return mapping.asByteBuffer();
    }

    /** Wakes up to {@code count} threads, of any process, waiting on the tail. */
    void wake(int count) {
        Futex.wake(tailWord, count);
    }

    /**
     * Unmaps the queue once no thread of this process is in a futex wait on it: a woken waiter
     * sees its end closed and leaves. A thread that stays past the linger keeps the mapping
     * rather than crash the process.
     */
    void unmap() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        while (true) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
                wake(Integer.MAX_VALUE);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /** Removes the name, quietly: called once no other process maps the object. */
    void unlink() {
        ShmNames.unlinkQuietly(name.substring(1));
    }
}
