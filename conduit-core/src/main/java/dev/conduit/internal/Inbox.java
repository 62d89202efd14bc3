package dev.conduit.internal;

import dev.conduit.ConnectionClosedException;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded queue of whole messages between one producing side and one consuming side, with
 * the closing rules of a connection: the producer's close is an end of stream that the
 * consumer sees after draining; the consumer's close makes further puts fail. Bounded by bytes,
 * but a message always fits into an empty inbox, so no message is too large to pass.
 * Thread-safe.
 *
 * <p>A consumer given a spin budget ({@code mem:}'s {@code ?spin=}) polls for up to that long
 * before it parks, without the lock, so a message from an active peer is handed over without a
 * park and unpark (tens of microseconds) each; the producer signals only a consumer that is
 * parked (a condition with no waiters costs a read). Virtual threads never spin: they would
 * hold their carrier.
 */
public final class Inbox {
    private static final int SPINS_PER_CLOCK_READ = 64;

    private final String endpoint;
    private final long capacityBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final long spinNanos;
    /** The queue's length, published for a spinning consumer, which reads it without the lock. */
    private volatile int available;
    private long queuedBytes;
    private volatile boolean producerClosed;
    private IOException producerFailure;
    private boolean failureReported;
    private volatile boolean consumerClosed;
    /** Messages ever added and taken, and how many of those taken the consumer said are written. */
    private long added;
    private long taken;
    private long written;
    private int awaitingWritten;
    private final Condition writtenAdvanced = lock.newCondition();

    /**
     * @param endpoint      the endpoint, for error messages
     * @param capacityBytes bytes queued before {@link #put} blocks
     */
    public Inbox(String endpoint, long capacityBytes) {
        this(endpoint, capacityBytes, 0);
    }

    /**
     * @param endpoint      the endpoint, for error messages
     * @param capacityBytes bytes queued before {@link #put} blocks
     * @param spinNanos     how long {@link #take} polls before it parks ({@link Long#MAX_VALUE}
     *                      for ever); 0 parks at once
     */
    public Inbox(String endpoint, long capacityBytes, long spinNanos) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes: " + capacityBytes + " (expected >= 1)");
        }
        this.endpoint = endpoint;
        this.capacityBytes = capacityBytes;
        this.spinNanos = spinNanos;
    }

    /**
     * Adds a message, which the inbox now owns.
     *
     * @param message the message
     * @param block   whether to wait while full
     * @return {@code true} if added, {@code false} if full and {@code block} is false
     * @throws ConnectionClosedException if either side closed
     * @throws InterruptedException      if interrupted while waiting
     */
    public boolean put(byte[] message, boolean block) throws ConnectionClosedException, InterruptedException {
        lock.lock();
        try {
            while (!consumerClosed && !producerClosed && queuedBytes > 0
                    && queuedBytes + message.length > capacityBytes) {
                if (!block) {
                    return false;
                }
                notFull.await();
            }
            if (producerClosed) {
                throw new ConnectionClosedException(endpoint + ": send: connection closed locally");
            }
            if (consumerClosed) {
                throw new ConnectionClosedException(endpoint + ": send: connection closed by peer");
            }
            queue.add(message);
            available = queue.size();
            queuedBytes += message.length;
            added++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the next message.
     *
     * @param waitNanos -1 to wait as long as it takes, 0 for no wait, or the most to wait
     * @return the message, or {@code null} if none came in time
     * @throws ConnectionClosedException if the consumer closed, or the producer closed and the
     *                                   inbox is drained
     * @throws IOException               the producer's failure, once, when drained
     * @throws InterruptedException      if interrupted while waiting
     */
    public byte[] take(long waitNanos) throws IOException, InterruptedException {
        long spun = spin(waitNanos);
        lock.lock();
        try {
            long remaining = waitNanos <= 0 ? waitNanos : waitNanos - spun;
            while (queue.isEmpty()) {
                if (consumerClosed) {
                    throw new ConnectionClosedException(endpoint + ": receive: connection closed locally");
                }
                if (producerClosed) {
                    throw endOfStream();
                }
                if (waitNanos == 0 || (waitNanos > 0 && remaining <= 0)) {
                    return null;
                }
                if (waitNanos < 0) {
                    notEmpty.await();
                } else {
                    remaining = notEmpty.awaitNanos(remaining);
                }
            }
            if (consumerClosed) {
                throw new ConnectionClosedException(endpoint + ": receive: connection closed locally");
            }
            byte[] message = queue.poll();
            available = queue.size();
            queuedBytes -= message.length;
            taken++;
            notFull.signalAll();
            return message;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Polls, without the lock, until a message or a close comes, the spin budget is spent or
     * {@code waitNanos} has passed. Not when the caller would not wait, nor on a virtual thread.
     *
     * @return the nanoseconds spent spinning, to take off the wait; 0 without a spin (and without
     *         reading the clock, which a take that does not spin need not pay for)
     */
    private long spin(long waitNanos) {
        if (spinNanos == 0 || waitNanos == 0 || available > 0 || Thread.currentThread().isVirtual()) {
            return 0;
        }
        long start = System.nanoTime();
        long budget = waitNanos < 0 ? spinNanos : Math.min(spinNanos, waitNanos);
        int spins = 0;
        while (available == 0 && !producerClosed && !consumerClosed) {
            Thread.onSpinWait();
            // The clock costs more than a poll: read it every few spins only. An interrupt ends
            // the spin, so the wait that follows throws it even under ?spin=forever.
            if ((++spins & SPINS_PER_CLOCK_READ - 1) == 0
                    && (System.nanoTime() - start - budget >= 0 || Thread.currentThread().isInterrupted())) {
                break;
            }
        }
        return System.nanoTime() - start;
    }

    private IOException endOfStream() {
        if (producerFailure == null) {
            return new ConnectionClosedException(endpoint + ": receive: connection closed by peer");
        }
        if (producerFailure instanceof ConnectionClosedException closed) {
            return new ConnectionClosedException(closed.getMessage(), closed.getCause());
        }
        if (!failureReported) {
            failureReported = true;
            return producerFailure;
        }
        return new ConnectionClosedException(endpoint + ": receive: connection lost", producerFailure);
    }

    /**
     * For a consumer that writes messages on (a pump): says that every message it has taken so
     * far is written where a crash of this process cannot lose it, which {@link #awaitWritten}
     * waits for.
     */
    public void takenWritten() {
        lock.lock();
        try {
            written = taken;
            writtenAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until every message added so far has been taken and written
     * ({@link #takenWritten}). Only for an inbox whose consumer reports that.
     *
     * @param call the caller's call, for the error: {@code send}, {@code flush}
     * @throws ConnectionClosedException if the consumer closed first (the peer went away: some
     *                                   of the messages may not have reached it), or the
     *                                   producer closed (closed locally)
     * @throws InterruptedException      if interrupted while waiting
     */
    public void awaitWritten(String call) throws ConnectionClosedException, InterruptedException {
        lock.lock();
        try {
            long target = added;
            awaitingWritten++;
            try {
                while (written < target) {
                    if (consumerClosed) {
                        throw new ConnectionClosedException(endpoint + ": " + call + ": connection closed by peer");
                    }
                    if (producerClosed) {
                        throw new ConnectionClosedException(endpoint + ": " + call + ": connection closed locally");
                    }
                    writtenAdvanced.await();
                }
            } finally {
                awaitingWritten--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * @return whether the consumer should write out what it holds now: nothing more is queued,
     *         or someone waits in {@link #awaitWritten}
     */
    public boolean shouldWriteOut() {
        lock.lock();
        try {
            return queue.isEmpty() || awaitingWritten > 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the stream: the consumer takes what is queued, then gets {@code failure} (once, then
     * a {@link ConnectionClosedException} caused by it) or a {@link ConnectionClosedException}.
     * Idempotent; the first call's failure wins.
     *
     * @param failure why the stream ended, or {@code null} for an orderly end; a
     *                {@link ConnectionClosedException} here is the end-of-stream exception itself,
     *                repeated on every later call
     */
    public void closeProducer(IOException failure) {
        lock.lock();
        try {
            if (!producerClosed) {
                producerClosed = true;
                producerFailure = failure;
            }
            notEmpty.signalAll();
            notFull.signalAll();
            writtenAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops consuming: queued messages are dropped and further puts fail. Idempotent. */
    public void closeConsumer() {
        lock.lock();
        try {
            consumerClosed = true;
            queue.clear();
            available = 0;
            queuedBytes = 0;
            notEmpty.signalAll();
            notFull.signalAll();
            writtenAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
