package dev.conduit.testing.soak;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The soak receiver's durable record of what it processed, the application's own state: one
 * stamp ({@code run << 32 | seq}, or {@link SoakMessages#CORRUPT}) a message, in the order
 * processed, in a memory-mapped file. A store lands in the page cache at once, so the record
 * outlives a receiver killed with SIGKILL (not a machine crash; an application wanting that
 * would {@code msync}, or {@code fsync} a file, per message or batch).
 *
 * <p><b>The commit point.</b> A message counts as processed once {@link #record} has stored the
 * count after it: the stamp (and, for {@code log:}, the position after the message) are stored
 * before. A receiver killed before that store has not processed the message; the restarted one
 * resumes after the last counted message, so the message is taken again where the transport
 * still has it. Positions are kept in a ring of two, enough since only the last counted one is
 * ever read and the next one written goes to the other slot.
 *
 * <p>Receiver run {@code r} stores in {@link #runStart} the count it began at, so the chaos
 * process can tell where each receiver kill falls in the record. One writer at a time (the
 * live receiver run); the chaos process reads it after the soak.
 */
public final class SoakLedger implements AutoCloseable {
    /** Receiver runs the ledger has room for (each kill starts one more). */
    public static final int MAX_RUNS = 1024;
    private static final long COUNT = 0;
    private static final long POSITIONS = 8;
    private static final long RUNS = 64;
    private static final long STAMPS = RUNS + MAX_RUNS * 8L;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Arena arena;
    private final MemorySegment file;
    private final long capacity;

    private SoakLedger(Arena arena, MemorySegment file) {
        this.arena = arena;
        this.file = file;
        this.capacity = (file.byteSize() - STAMPS) / 8;
    }

    /** @return the stamps a ledger for a soak of {@code total} messages makes room for: duplicates may come too */
    public static long capacityFor(long total) {
        return total + 65_536;
    }

    /** Maps {@code file} with room for {@code messages} stamps, making it (all zero) if absent. */
    public static SoakLedger open(Path file, long messages) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return new SoakLedger(arena, channel.map(FileChannel.MapMode.READ_WRITE, 0, STAMPS + messages * 8, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** @return how many messages have been processed, duplicates and corrupt ones included */
    public long count() {
        return (long) LONG.getVolatile(file, COUNT);
    }

    /** @return the stamp of processed message {@code i}, {@code 0 <= i < count()} */
    public long stamp(long i) {
        return file.get(ValueLayout.JAVA_LONG, STAMPS + i * 8);
    }

    /** @return the {@code log:} position after the last processed message (0 if none) */
    public long position() {
        long n = count();
        return n == 0 ? 0 : file.get(ValueLayout.JAVA_LONG, POSITIONS + ((n - 1) & 1) * 8);
    }

    /** @return the count receiver run {@code run} began at */
    public long runStart(int run) {
        return (long) LONG.getVolatile(file, RUNS + run * 8L);
    }

    /** Notes that receiver run {@code run} (1 or more) begins now, before it records anything. */
    public void begin(int run) {
        if (run < 1 || run >= MAX_RUNS) {
            throw new IllegalStateException("receiver run " + run + " (expected 1.." + (MAX_RUNS - 1) + ")");
        }
        LONG.setVolatile(file, RUNS + run * 8L, count());
    }

    /**
     * Records one processed message: the commit point.
     *
     * @throws IllegalStateException if the ledger is full
     */
    public void record(long stamp, long position) {
        long n = count();
        if (n >= capacity) {
            throw new IllegalStateException("soak ledger full at " + n + " messages");
        }
        file.set(ValueLayout.JAVA_LONG, STAMPS + n * 8, stamp);
        file.set(ValueLayout.JAVA_LONG, POSITIONS + (n & 1) * 8, position);
        LONG.setVolatile(file, COUNT, n + 1);
    }

    /** @return the sequence after the last good message processed, 0 if none: where a restarted receiver resumes */
    public long next() {
        for (long i = count() - 1; i >= 0; i--) {
            long stamp = stamp(i);
            if (stamp != SoakMessages.CORRUPT) {
                return (stamp & 0xFFFFFFFFL) + 1;
            }
        }
        return 0;
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
