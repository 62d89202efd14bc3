package dev.conduit.spi.support;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connections a listener's handshakes are making, handed to {@code accept} in the order
 * their clients arrived, as a socket listener hands out its clients: a place is taken when a
 * client's socket is accepted ({@link #arrive()}), and filled when its handshake is over
 * ({@link Place#done}, {@link Place#failed}). A failed handshake's place is skipped. A handshake
 * that has run for more than {@link #PATIENCE_NANOS} is passed over by clients that finished
 * after it, so a silent client holds {@code accept} up for that long at most, not until its
 * handshake times out. A listener whose connections need a handshake after the socket is
 * accepted (a WebSocket upgrade, a challenge) hands them out through one; Conduit's own
 * handshaking listeners do.
 *
 * <p>Threads: {@link #arrive} by the accepting thread, a place's
 * {@code done}/{@code failed} by its handshake's thread, {@link #take} by any number of
 * {@code accept} callers (one looks at the queue at a time, so none is served out of turn),
 * {@link #close} by anyone.
 */
public final class ArrivalQueue {
    /**
     * How long a handshake keeps its place: far above a normal handshake (well under a
     * millisecond), so order holds, and far below a handshake's time-out (seconds).
     */
    public static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A client's place in the queue, from the moment its socket was accepted. */
    public final class Place {
        private final CompletableFuture<Connection> connection = new CompletableFuture<>();
        private final long arrivedAt = System.nanoTime();

        private Place() {
        }

        /**
         * Fills the place with the connection its handshake made; if the queue was closed
         * meanwhile, closes the connection instead. Never blocks for long. Call once per place,
         * or {@link #failed} instead.
         *
         * @param made the connection, handed to {@code accept} in its client's turn
         */
        public void done(Connection made) {
            connection.complete(made);
            signalProgress();
            if (closed.get() && ready.remove(this)) {
                closeQuietly(made);
            }
        }

        /**
         * Marks the handshake failed: {@code accept} skips the place. Never blocks for long.
         *
         * @param why what failed; not reported to {@code accept} callers
         */
        public void failed(Throwable why) {
            connection.completeExceptionally(why);
            signalProgress();
        }
    }

    private final String name;
    private final Place closedMark;
    private final BlockingDeque<Place> ready;
    private final ReentrantLock acceptLock = new ReentrantLock();
    /** Signalled whenever the queue gains an entry or an entry's handshake ends. */
    private final ReentrantLock progressLock = new ReentrantLock();
    private final Condition progress = progressLock.newCondition();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Makes an empty, open queue.
     *
     * @param name     the listener's name (its redacted endpoint), for messages
     * @param capacity how many places may be taken before {@link #arrive} waits
     */
    public ArrivalQueue(String name, int capacity) {
        this.name = name;
        // One more than the places, for the closed mark.
        this.ready = new LinkedBlockingDeque<>(capacity + 1);
        this.closedMark = new Place();
    }

    /**
     * Takes the next place, waiting while {@code capacity} places are taken (the next clients
     * then wait in the socket's backlog).
     *
     * @return the place
     * @throws InterruptedException if interrupted while waiting
     */
    public Place arrive() throws InterruptedException {
        Place place = new Place();
        ready.putLast(place);
        signalProgress();
        return place;
    }

    /**
     * Takes the first connection {@code accept} may have, in arrival order.
     *
     * @param waitNanos how long to wait: negative for as long as it takes, 0 not at all
     * @return the connection, or {@code null} if none was ready in time
     * @throws ConnectionClosedException once the queue is closed
     * @throws InterruptedIOException    if interrupted while waiting (the flag stays set)
     */
    public Connection take(long waitNanos) throws IOException {
        long deadline = System.nanoTime() + waitNanos;
        try {
            if (waitNanos < 0) {
                acceptLock.lockInterruptibly();
            } else if (!acceptLock.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
                return null;
            }
            try {
                while (true) {
                    Place next = awaitNext(waitNanos < 0 ? Long.MAX_VALUE : deadline);
                    if (next == null) {
                        return null;
                    }
                    if (next == closedMark) {
                        throw new ConnectionClosedException(name + ": accept: listener closed");
                    }
                    ready.remove(next);
                    try {
                        return next.connection.join();
                    } catch (CompletionException | CancellationException e) {
                        // Its handshake failed and was reported: on to the next client.
                    }
                }
            } finally {
                acceptLock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": accept: interrupted");
        }
    }

    /**
     * Waits for the first entry {@code take} may have: the closed mark, or the first whose
     * handshake is over and behind which only entries past their patience wait.
     *
     * @return the entry, or {@code null} at the deadline
     */
    private Place awaitNext(long deadline) throws InterruptedException {
        progressLock.lockInterruptibly();
        try {
            while (true) {
                long now = System.nanoTime();
                long recheckAt = deadline;
                for (Place p : ready) {
                    if (p == closedMark || p.connection.isDone()) {
                        return p;
                    }
                    if (now - p.arrivedAt < PATIENCE_NANOS) {
                        recheckAt = Math.min(deadline, p.arrivedAt + PATIENCE_NANOS);
                        break;
                    }
                }
                if (closed.get()) {
                    return closedMark;
                }
                if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                    return null;
                }
                if (recheckAt == Long.MAX_VALUE) {
                    progress.await();
                } else {
                    progress.awaitNanos(recheckAt - now);
                }
            }
        } finally {
            progressLock.unlock();
        }
    }

    /**
     * Whether the queue is closed.
     *
     * @return whether {@link #close()} has been called
     */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes the queue: connections waiting for {@code accept}, and those whose handshakes end
     * later, are closed; {@code take} throws from now on. Idempotent; never blocks for long.
     */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Place next;
        while ((next = ready.pollFirst()) != null) {
            next.connection.thenAccept(ArrivalQueue::closeQuietly);
        }
        ready.offerFirst(closedMark);
        signalProgress();
    }

    private void signalProgress() {
        progressLock.lock();
        try {
            progress.signalAll();
        } finally {
            progressLock.unlock();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (IOException e) {
            // Closing on the way out; nothing to tell.
        }
    }
}
