package dev.conduit.internal.log;

import dev.conduit.internal.posix.Futex;
import dev.conduit.internal.posix.Processes;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One segment file of a log, mapped into this process: a 4096-byte header, then a data area of
 * records. The layout, byte by byte, is in {@code docs/log.md}.
 *
 * <pre>
 * header
 *    0  u64 magic "CNDTLOG1"      8  u32 version (3; 2 and 1 are read too)   12  u32 header bytes (4096)
 *   16  u64 file bytes           24  u64 base: the log position of the data area's first byte
 *   32  u32 pid of the creator   40  u64 (version 3) when it was made, nanoseconds since the epoch
 *  128  u64 tail hint: a record boundary at or before the end, stored (release) after each claim
 *  256  u32 waiters: readers asleep (or about to be) on a record's state word
 *  384  u32 retired: nonzero once a trimmer wants the segment gone (any version)
 * 4096  data area: records, each at a multiple of 8
 *
 * record
 *    0  u32 length of the payload, or {@link #END_LENGTH}     } claimed together, by one CAS
 *    4  u32 pid of the writer                                  } of the u64 from 0
 *    8  u32 CRC-32C of the payload
 *   12  u32 state: 0 claimed, {@link #COMMITTED}, {@link #END}, {@link #ABANDONED}, or (version 2)
 *           claimed and stamped with the writer's start time (bit 31 set); the futex word readers
 *           sleep on
 *   16  (version 3) u64 append time, nanoseconds since the epoch; then the payload, at 24
 *   16  (versions 1 and 2) payload; filler up to a multiple of 8 after it, in every version
 * </pre>
 *
 * All numbers are little-endian, the byte order of every machine the transport runs on. A
 * segment is never written to a name half-made: it is built under a temporary name and linked
 * into place ({@link LogDirectory}).
 */
final class Segment implements AutoCloseable {
    /** "CNDTLOG1" in ASCII, read as a little-endian u64. */
    static final long MAGIC = 0x31474F4C54444E43L;
    /**
     * Version 3 gives each record its append time; 2 stamps a claimed record's state word with its
     * writer's start time; 1 does neither. All three are read and appended to, each in its own layout.
     */
    static final int VERSION = 3;
    static final int UNTIMED_VERSION = 2;
    static final int UNSTAMPED_VERSION = 1;
    static final int HEADER_BYTES = 4096;
    static final long MAGIC_AT = 0;
    static final long VERSION_AT = 8;
    static final long HEADER_BYTES_AT = 12;
    static final long FILE_BYTES_AT = 16;
    static final long BASE_AT = 24;
    static final long PID_AT = 32;
    static final long CREATED_AT = 40;
    static final long TAIL_HINT_AT = 128;
    static final long WAITERS_AT = 256;
    static final long RETIRED_AT = 384;

    /** The part of a record's header every version has: the claim word, CRC-32C and state. */
    static final int RECORD_HEADER = 16;
    /** A version 3 record's header: {@link #RECORD_HEADER} and the append time. */
    static final int TIMED_RECORD_HEADER = 24;
    static final int ALIGN = 8;
    static final long CLAIM = 0;
    static final long PID = 4;
    static final long CRC = 8;
    static final long STATE = 12;
    static final long TIME = 16;
    /** The length of the record that closes a segment: the next record is in the next segment. */
    static final int END_LENGTH = -1;
    static final int COMMITTED = 1;
    static final int END = 2;
    /** A record its writer gave up after claiming it (its payload could not be read): skipped. */
    static final int ABANDONED = 3;

    /** The smallest segment: the header and one page of data. */
    static final long MIN_FILE_BYTES = 2 * HEADER_BYTES;
    /** The largest segment: its data area must fit in one {@link ByteBuffer}. */
    static final long MAX_FILE_BYTES = 1L << 30;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = U64.varHandle();
    private static final VarHandle INT = U32.varHandle();

    final Path file;
    /** The log position of the data area's first byte. */
    final long base;
    /** Bytes in the data area. */
    final long capacity;
    /**
     * Bytes of the data area that are in the file: {@link #capacity}, unless the file was cut
     * short (then the rest is missing, and reading it would fault).
     */
    final long readable;
    /** Whether writers stamp claimed records with their start time (version 2). */
    final boolean stamped;
    /** The header bytes of this segment's records: {@link #TIMED_RECORD_HEADER} in version 3. */
    final int recordHeader;
    /** The version in the header. */
    final int version;
    /** What is wrong with the file's size, or null: it differs from what its header says. */
    final String sizeProblem;
    final MemorySegment header;
    final MemorySegment data;
    private final Arena arena;

    private Segment(Path file, Arena arena, MemorySegment mapping, long base, long capacity, int version,
            String sizeProblem) {
        this.file = file;
        this.arena = arena;
        this.base = base;
        this.header = mapping.asSlice(0, HEADER_BYTES);
        this.data = mapping.asSlice(HEADER_BYTES);
        this.capacity = capacity;
        this.readable = Math.min(capacity, data.byteSize() & -ALIGN);
        this.version = version;
        this.stamped = version != UNSTAMPED_VERSION;
        this.recordHeader = version >= VERSION ? TIMED_RECORD_HEADER : RECORD_HEADER;
        this.sizeProblem = sizeProblem;
    }

    /**
     * For the stress tests: a segment over {@code mapping}, memory of this process rather than a
     * file, with base 0. It is never unmapped: {@link #close()} does nothing.
     */
    static Segment inMemory(MemorySegment mapping) {
        return new Segment(Path.of("memory"), null, mapping, 0, mapping.byteSize() - HEADER_BYTES, VERSION,
                null);
    }

    /** @return {@code n} rounded up to a multiple of {@value #ALIGN} */
    static long align(long n) {
        return (n + ALIGN - 1) & -ALIGN;
    }

    /** @return the bytes a record of {@code length} payload bytes takes in a segment Conduit makes now */
    static long recordBytes(long length) {
        return align(TIMED_RECORD_HEADER + length);
    }

    /** @return the bytes a record of {@code length} payload bytes takes in this segment */
    long sizeOf(long length) {
        return align(recordHeader + length);
    }

    /** @return the offset in {@link #data} of the payload of the record at {@code offset} */
    long payload(long offset) {
        return offset + recordHeader;
    }

    /**
     * @return the append time of the record at {@code offset}, in nanoseconds since the epoch;
     *         {@link Long#MIN_VALUE} in a segment older than version 3, whose records have none
     */
    long time(long offset) {
        return recordHeader == TIMED_RECORD_HEADER ? data.get(U64, offset + TIME) : Long.MIN_VALUE;
    }

    /** Writer, before the CRC-32C: the record's append time. */
    void setTime(long offset, long nanos) {
        data.set(U64, offset + TIME, nanos);
    }

    /**
     * @return when the segment was made, in nanoseconds since the epoch; {@link Long#MIN_VALUE}
     *         before version 3
     */
    long created() {
        return version >= VERSION ? header.get(U64, CREATED_AT) : Long.MIN_VALUE;
    }

    /** @return whether a trimmer marked this segment to be deleted once no reader is on it */
    boolean retired() {
        return (int) INT.getOpaque(header, RETIRED_AT) != 0;
    }

    /** Trimmer: marks this segment to be deleted; readers on it move on, or fail, as they chose. */
    void retire() {
        INT.setVolatile(header, RETIRED_AT, 1);
    }

    /** @return whether {@code state} says a record is claimed and not yet committed (stamped or not) */
    static boolean uncommitted(int state) {
        return state == 0 || state < 0;
    }

    /** @return whether {@code state} is one the format knows */
    static boolean knownState(int state) {
        return uncommitted(state) || state == COMMITTED || state == END || state == ABANDONED;
    }

    /** @return the u64 that claims a record: its length and the writer's pid */
    static long claimWord(int length, int pid) {
        return (length & 0xFFFFFFFFL) | ((long) pid << 32);
    }

    /** @return the log position just past this segment's data area */
    long end() {
        return base + capacity;
    }

    /**
     * Writes a fresh segment's header into {@code file}, already sized and zero-filled.
     */
    static void initialise(FileChannel channel, long fileBytes, long base) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        Instant now = Instant.now();
        h.putLong((int) MAGIC_AT, MAGIC).putInt((int) VERSION_AT, VERSION).putInt((int) HEADER_BYTES_AT, HEADER_BYTES)
                .putLong((int) FILE_BYTES_AT, fileBytes).putLong((int) BASE_AT, base).putInt((int) PID_AT,
                        Processes.getpid()).putLong((int) CREATED_AT, now.getEpochSecond() * 1_000_000_000L
                        + now.getNano());
        channel.write(h, 0);
    }

    /**
     * Maps an existing segment file read-write and checks its header. A file whose size is not
     * the one its header gives is mapped all the same, as far as both reach: its
     * {@link #sizeProblem} says what is wrong, and readers report it when they get there.
     *
     * @param expectedBase the base its name promises
     * @throws BadHeader   if its header is not a segment's with that base
     * @throws IOException naming the file if it cannot be opened (a symbolic link is refused)
     */
    static Segment map(Path file, long expectedBase) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new BadHeader(file + " is " + size + " bytes, less than a segment's header");
            }
            ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(h, 0);
            long fileBytes = checkHeader(file, h, expectedBase);
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, Math.min(size, fileBytes), arena);
            String sizeProblem = size == fileBytes ? null : "the file is " + size + " bytes; its header says "
                    + fileBytes + (size < fileBytes ? " (cut short: " + (fileBytes - size) + " bytes missing)"
                    : " (" + (size - fileBytes) + " bytes added)");
            return new Segment(file, arena, mapping, expectedBase, fileBytes - HEADER_BYTES,
                    h.getInt((int) VERSION_AT), sizeProblem);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** @return the file bytes the header gives, once it is known to be a segment's */
    private static long checkHeader(Path file, ByteBuffer h, long expectedBase) throws BadHeader {
        long magic = h.getLong((int) MAGIC_AT);
        int version = h.getInt((int) VERSION_AT);
        int headerBytes = h.getInt((int) HEADER_BYTES_AT);
        long fileBytes = h.getLong((int) FILE_BYTES_AT);
        long base = h.getLong((int) BASE_AT);
        if (magic != MAGIC) {
            throw new BadHeader("magic 0x" + Long.toHexString(magic) + " is not a Conduit log's (0x"
                    + Long.toHexString(MAGIC) + ")");
        }
        if (version < UNSTAMPED_VERSION || version > VERSION || headerBytes != HEADER_BYTES || base != expectedBase
                || fileBytes < MIN_FILE_BYTES || fileBytes > MAX_FILE_BYTES || (fileBytes - HEADER_BYTES) % ALIGN != 0) {
            throw new BadHeader("header says version " + version + ", " + headerBytes + " header bytes, " + fileBytes
                    + " bytes, base " + base + "; expected version " + UNSTAMPED_VERSION + " to " + VERSION + ", "
                    + HEADER_BYTES + ", " + MIN_FILE_BYTES + " to " + MAX_FILE_BYTES + " (a multiple of " + ALIGN
                    + " after the header), " + expectedBase);
        }
        return fileBytes;
    }

    /** A file whose header is not a segment's: the log is damaged there (or it is not a log). */
    static final class BadHeader extends IOException {
        private static final long serialVersionUID = 1L;

        BadHeader(String problem) {
            super(problem);
        }
    }

    long claimAcquire(long offset) {
        return (long) LONG.getAcquire(data, offset + CLAIM);
    }

    /** @return whether this writer now owns the record at {@code offset}, which was unclaimed */
    boolean claim(long offset, long claimWord) {
        return LONG.compareAndSet(data, offset + CLAIM, 0L, claimWord);
    }

    int stateAcquire(long offset) {
        return (int) INT.getAcquire(data, offset + STATE);
    }

    /** Writer, just after its claim: stamps the state word with its start time, in a version 2 segment. */
    void stamp(long offset, int stamp) {
        if (stamped && stamp != 0) {
            INT.setRelease(data, offset + STATE, stamp);
        }
    }

    int crc(long offset) {
        return data.get(U32, offset + CRC);
    }

    /** @return the state word of the record at {@code offset}, the futex word readers sleep on */
    MemorySegment stateWord(long offset) {
        return data.asSlice(offset + STATE, 4);
    }

    long tailHint() {
        return (long) LONG.getAcquire(header, TAIL_HINT_AT);
    }

    void setTailHint(long offset) {
        LONG.setRelease(header, TAIL_HINT_AT, offset);
    }

    // The sleep/wake handshake (Dekker, as in the shm ring): a reader adds itself to the waiters,
    // a locked instruction and so a full barrier, then looks at the state word again; a writer
    // stores the state, fences, then looks at the waiters. At least one sees the other's store,
    // so either the reader does not sleep or the writer wakes it. FUTEX_WAIT compares the word
    // under the kernel's lock, so a wake that comes before the sleep is not lost either.

    /**
     * Writer: publishes a record's state (release: its payload and CRC are visible first), and
     * wakes the readers sleeping on it, if any said they sleep.
     *
     * @return whether a reader had said it sleeps, so it was woken
     */
    boolean publishState(long offset, int state) {
        INT.setRelease(data, offset + STATE, state);
        VarHandle.fullFence();
        if ((int) INT.getAcquire(header, WAITERS_AT) == 0) {
            return false;
        }
        Futex.wake(stateWord(offset), Integer.MAX_VALUE);
        return true;
    }

    /**
     * Reader, before it sleeps on the record at {@code offset}: says so, then looks at its state
     * again. It may sleep only if the state is still 0, and must call {@link #readerAwake()}
     * afterwards either way.
     *
     * @return the record's state now
     */
    int readerSleeps(long offset) {
        INT.getAndAdd(header, WAITERS_AT, 1);
        return (int) INT.getVolatile(data, offset + STATE);
    }

    void readerAwake() {
        INT.getAndAdd(header, WAITERS_AT, -1);
    }

    /**
     * Unmaps the segment. Fails with {@link IllegalStateException} while a thread is in a native
     * call on it (a futex wait): wake it first.
     */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
