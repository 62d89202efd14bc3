package dev.conduit.internal.fifo;

import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.PosixFiles;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One open end of a FIFO: the descriptor (always non-blocking), how to wait on it, and how to
 * close it without pulling it from under a thread that uses it.
 *
 * <p><b>Waiting.</b> A receiving platform thread first polls readiness without waiting for the
 * {@code ?spin=} budget (50 µs by default, as the sockets do): a peer that answers within it
 * costs no scheduler wake-up, which is most of a FIFO round trip. Then a platform thread waits
 * in {@code ppoll} for at most {@value #SLICE_MILLIS} ms
 * at a time, then looks whether the end was closed meanwhile: closing a descriptor does not wake
 * a {@code poll} on it, and closing it under a poller would let the number be reused by an
 * unrelated file. A virtual thread must not hold its carrier in the kernel, so it looks with a
 * zero time-out and parks between looks, from 10 µs up to {@value #VIRTUAL_PARK_MAX_MICROS} µs.
 *
 * <p><b>Closing.</b> Every use of the descriptor happens under {@link #io}; {@code close} takes it
 * too, so it waits at most one slice for a blocked call to notice and leave.
 */
abstract sealed class FifoEnd extends AbstractConnection permits FifoReceiver, FifoSender {
    static final long SLICE_MILLIS = 50;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    static final long VIRTUAL_PARK_MAX_MICROS = 1000;
    private static final long VIRTUAL_PARK_MAX_NANOS = TimeUnit.MICROSECONDS.toNanos(VIRTUAL_PARK_MAX_MICROS);
    private static final long VIRTUAL_PARK_MIN_NANOS = 10_000;

    /** Held for every use of {@link #fd}, and by close before it closes it. */
    protected final ReentrantLock io = new ReentrantLock();
    protected final int fd;
    /** The path of the FIFO, for messages. */
    protected final String file;
    private final Arena arena = Arena.ofShared();
    /** {@code errno} and {@code pollfd} of the one thread that holds {@link #io}. */
    protected final MemorySegment errnoState = Errno.allocateState(arena);
    private final MemorySegment pollState = PosixFiles.allocatePoll(arena);
    private boolean fdClosed;
    private long virtualPark = VIRTUAL_PARK_MIN_NANOS;
    private final long spinNanos;

    FifoEnd(Endpoint endpoint, int maxFrame, int fd, String file) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.fd = fd;
        this.file = file;
        this.spinNanos = Options.spinNanos(endpoint);
    }

    /** @return native memory of {@code bytes} bytes living as long as this end, for I/O buffers */
    protected final ByteBuffer nativeBuffer(int bytes) {
        return arena.allocate(bytes, 64).asByteBuffer();
    }

    /**
     * Waits until {@code events} (or an error or hang-up) hold on the FIFO, the time given
     * passes, or one slice ends. Called under {@link #io}. The caller looks at the FIFO again
     * whatever this returns.
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @param spin     whether to spin first: only at the start of a receive's wait
     * @return the {@code revents} seen, 0 if none yet
     */
    protected final int await(short events, long deadline, boolean spin) throws IOException {
        long left = deadline == 0 ? SLICE_NANOS : Math.min(SLICE_NANOS, deadline - System.nanoTime());
        if (left <= 0) {
            return 0;
        }
        if (!Thread.currentThread().isVirtual()) {
            if (spin && spinNanos > 0) {
                long until = System.nanoTime() + Math.min(spinNanos, left);
                do {
                    int ready = PosixFiles.pollOne(fd, events, 0, pollState, errnoState);
                    if (ready != 0) {
                        return ready;
                    }
                    Thread.onSpinWait();
                } while (System.nanoTime() - until < 0);
            }
            return PosixFiles.pollOne(fd, events, left, pollState, errnoState);
        }
        int ready = PosixFiles.pollOne(fd, events, 0, pollState, errnoState);
        if (ready != 0) {
            virtualPark = VIRTUAL_PARK_MIN_NANOS;
            return ready;
        }
        LockSupport.parkNanos(Math.min(virtualPark, left));
        virtualPark = Math.min(virtualPark * 2, VIRTUAL_PARK_MAX_NANOS);
        return 0;
    }

    /** @return the revents of the FIFO now, without waiting; called under {@link #io} */
    protected final int readiness(short events) throws IOException {
        return PosixFiles.pollOne(fd, events, 0, pollState, errnoState);
    }

    /** @return a {@link System#nanoTime()} deadline for a wait of {@code waitNanos}, 0 for none */
    protected static long deadline(long waitNanos) {
        return waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
    }

    /** @return whether a wait with {@code deadline} for {@code waitNanos} is over */
    protected static boolean expired(long waitNanos, long deadline) {
        return waitNanos == 0 || waitNanos == NEXT_IN_POLL || (deadline != 0 && deadline - System.nanoTime() <= 0);
    }

    /** @return an I/O failure of a FIFO call, naming the endpoint, call and errno */
    protected final IOException failure(String call, String what) {
        int errno = Errno.value(errnoState);
        return new IOException(name + ": " + call + ": " + what + "(" + file + ") failed: " + Errno.text(errno)
                + " (errno " + errno + ")");
    }

    /** @return whether the descriptor is still open; called under {@link #io} */
    protected final boolean fdOpen() {
        return !fdClosed;
    }

    /** Called when close begins, before it waits for {@link #io}. */
    protected void closeRequested() {
    }

    /** Called under {@link #io} before the descriptor is closed, once. */
    protected void beforeClose() {
    }

    /** Called once the descriptor is closed, outside {@link #io}. */
    protected void afterClose() throws IOException {
    }

    @Override
    protected final void closeTransport() throws IOException {
        closeRequested();
        io.lock();
        try {
            if (fdClosed) {
                return;
            }
            beforeClose();
            fdClosed = true;
            PosixFiles.close(fd);
        } finally {
            io.unlock();
        }
        try {
            afterClose();
        } finally {
            arena.close();
        }
    }
}
