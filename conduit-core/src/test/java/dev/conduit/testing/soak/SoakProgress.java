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
 * A few counters in a small memory-mapped file, shared by the soak's processes. A store lands in
 * the page cache at once, so it outlives a process killed with SIGKILL one instruction later:
 * that is how a restarted sender learns what its killed predecessor had done, and how the chaos
 * process watches both sides without asking them.
 *
 * <p>Every access is volatile. Not thread-safe beyond that: one process writes each field.
 */
public final class SoakProgress implements AutoCloseable {
    /** Sender: how many messages a send was started for (the next is this number). */
    public static final int STARTED = 0;
    /** Sender: how many messages a send returned for; below {@link #STARTED}, message DONE was in flight. */
    public static final int DONE = 1;
    /** Sender: the process id of the current run. */
    public static final int PID = 2;
    /** Sender: the number of the current run, stored after its {@link #PID}. */
    public static final int RUN = 3;
    /** Receiver: the next sequence number it expects. */
    public static final int NEXT = 4;
    /** Receiver ({@code fifo:}): how many times it has opened a receiving end. */
    public static final int OPENS = 5;

    /** Receiver: the number of the current run, 1 for the first. */
    public static final int RECEIVER_RUN = 6;
    /** Receiver: the process id of the current run. */
    public static final int RECEIVER_PID = 7;
    /** Sender (two-way): the receiver run that answered its last connection. */
    public static final int SEEN = 8;
    /**
     * Chaos: a sender waits before sending message number {@code HOLD} (0: never), until it is
     * killed or the hold moves, so a run cannot outrun the kill planned for it while the chaos
     * process is busy elsewhere (restarting a receiver, say).
     */
    public static final int HOLD = 9;

    private static final int FIELDS = 16;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Arena arena;
    private final MemorySegment longs;

    private SoakProgress(Arena arena, MemorySegment longs) {
        this.arena = arena;
        this.longs = longs;
    }

    /** Maps {@code file}, making it (all zero) if absent. */
    public static SoakProgress open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return new SoakProgress(arena, channel.map(FileChannel.MapMode.READ_WRITE, 0, FIELDS * 8L, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** @return field {@code field} */
    public long get(int field) {
        return (long) LONG.getVolatile(longs, field * 8L);
    }

    /** Sets field {@code field}. */
    public void set(int field, long value) {
        LONG.setVolatile(longs, field * 8L, value);
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
