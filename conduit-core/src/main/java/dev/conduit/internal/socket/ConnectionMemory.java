package dev.conduit.internal.socket;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The native buffers of one {@link SocketConnection} (its send buffer and its decoder's read
 * buffer), in one shared {@link Arena} that is closed as soon as neither side can use them any
 * more. A direct {@code ByteBuffer} is freed only when the GC finds it unreachable, and with a
 * large heap that is rare: 10,000 quick connect/close cycles left 1.4 GB of resident buffers.
 *
 * <p>Each side says once that it is done ({@link #release}), under its own lock, after the
 * connection was closed: the arena closes when both have. A side that never gets the chance
 * (its thread left without calling again) is covered by a {@link Cleaner} on the connection,
 * so the memory is freed no later than it was before. A stale view read after the arena closed
 * throws {@link IllegalStateException}; it never reads freed memory.
 */
final class ConnectionMemory {
    /** {@link #release} argument: the send buffer is no longer used. */
    static final int SEND = 1;
    /** {@link #release} argument: the decoder's buffer is no longer used. */
    static final int RECEIVE = 2;
    private static final int BOTH = SEND | RECEIVE;
    private static final Cleaner CLEANER = Cleaner.create(
            Thread.ofPlatform().daemon().name("conduit-free-buffers").factory());

    private final Arena arena = Arena.ofShared();
    private final AtomicInteger released = new AtomicInteger();
    private final Cleaner.Cleanable free;

    /** @param owner the connection: once it is unreachable, the arena is closed whatever was released */
    ConnectionMemory(Object owner) {
        this.free = CLEANER.register(owner, arena::close);
    }

    /** @return a new zeroed buffer of {@code bytes}, big-endian, freed with the others */
    ByteBuffer allocate(int bytes) {
        return arena.allocate(bytes).asByteBuffer();
    }

    /**
     * Says that {@code side} ({@link #SEND} or {@link #RECEIVE}) will never touch its buffer
     * again; frees both once both sides said so. Idempotent; any thread, holding that side's lock.
     */
    void release(int side) {
        int before = released.getAndUpdate(v -> v | side);
        if (before != BOTH && (before | side) == BOTH) {
            free.clean();
        }
    }

    /** @return whether the buffers were freed */
    boolean freed() {
        return !arena.scope().isAlive();
    }
}
