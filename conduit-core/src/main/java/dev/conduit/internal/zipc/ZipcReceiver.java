package dev.conduit.internal.zipc;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.posix.Futex;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The receiving end of {@code zipc:/NAME}: ZIPC's consumer. A message is handed out as a
 * read-only view of its slot; the slot is given back (head published, with release) at the next
 * receive call, or once at the end of a {@code poll}, so views stay valid as the API promises.
 * An empty message is a slot of length 0, distinct from an empty queue (head equal to tail).
 *
 * <p><b>Waiting.</b> A platform thread spins for the {@code spin} budget, then adds itself to
 * {@code waiters}, looks at the tail once more and sleeps in {@code FUTEX_WAIT} on it (shared),
 * for at most {@value #SLICE_MILLIS} ms at a time. A virtual thread parks instead, from 10 µs
 * doubling to 1 ms, so as not to hold its carrier in the kernel.
 *
 * <p><b>The sender's end.</b> With nothing to read, a receiver that has seen a sender (taken a
 * message, or found another process mapping the object) asks {@link Mappers} at most every
 * {@value #SLICE_MILLIS} ms whether any other process still maps the object; once none does,
 * what is left is read and then {@code ConnectionClosedException} follows. One that has never seen
 * a sender looks for one at most every second, and waits.
 */
final class ZipcReceiver extends AbstractConnection {
    static final long SLICE_MILLIS = 50;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    private static final long UNSEEN_LOOK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FIRST_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ZipcQueue queue;
    private final ByteBuffer view;
    private final long spinNanos;
    private final Arena timespecs = Arena.ofShared();
    private final MemorySegment timespec = Futex.allocateTimespec(timespecs);

    // Used under AbstractConnection's receive lock.
    private int head;
    private int published;
    private ByteBuffer message;
    private boolean senderSeen;
    private boolean senderGone;
    private long lookedAt = System.nanoTime() - UNSEEN_LOOK_NANOS;
    private long park = FIRST_PARK_NANOS;

    ZipcReceiver(Endpoint endpoint, ZipcQueue queue, long spinNanos) {
        super(endpoint, endpoint.toString(), queue.slotSize);
        this.queue = queue;
        this.view = queue.buffer().asReadOnlyBuffer();
        this.spinNanos = spinNanos;
        this.head = queue.head();
        this.published = head;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        return take(waitNanos) ? message : null;
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        if (!take(waitNanos)) {
            return null;
        }
        byte[] copy = new byte[message.remaining()];
        message.get(message.position(), copy);
        release();
        return copy;
    }

    @Override
    protected void pollDone() {
        try {
            release();
        } catch (IllegalStateException e) {
            // Unmapped by a concurrent close: nothing to give back to.
        }
    }

    /** Gives the slots handed out so far back to the sender. */
    private void release() {
        if (head != published) {
            published = head;
            queue.publishHead(head);
        }
    }

    private boolean take(long waitNanos) throws IOException {
        long deadline = System.nanoTime() + Math.max(waitNanos, 0);
        try {
            if (waitNanos != NEXT_IN_POLL) {
                release();
            }
            boolean spin = true;
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                if (tryTake()) {
                    park = FIRST_PARK_NANOS;
                    return true;
                }
                if (senderGone()) {
                    if (tryTake()) {
                        return true;
                    }
                    throw new ConnectionClosedException(name + ": receive: connection closed by peer (no process"
                            + " maps /dev/shm" + queue.name + " any more: the sender closed or died)");
                }
                if (waitNanos == 0 || waitNanos == NEXT_IN_POLL || (waitNanos > 0 && deadline - System.nanoTime() <= 0)) {
                    return false;
                }
                await(waitNanos == FOREVER ? SLICE_NANOS : Math.min(SLICE_NANOS, deadline - System.nanoTime()), spin);
                spin = false;
            }
        } catch (IllegalStateException e) {
            // Unmapped by a concurrent close.
            throw closedLocally("receive");
        }
    }

    /** @return whether a message was there: then {@link #message} views it and head is past it */
    private boolean tryTake() throws IOException {
        int tail = queue.tail();
        if (tail == head) {
            return false;
        }
        long length = queue.length(head);
        if (tail < 0 || tail >= queue.slots || length < 0 || length > queue.slotSize) {
            throw new ConnectionClosedException(name + ": receive: the queue is corrupt: tail " + tail + " of "
                    + queue.slots + " slots, slot " + head + " holds a message of " + Long.toUnsignedString(length)
                    + " bytes in a slot of " + queue.slotSize);
        }
        int at = (int) queue.slotAt(head);
        message = view.limit(at + (int) length).position(at);
        head = head + 1 == queue.slots ? 0 : head + 1;
        senderSeen = true;
        return true;
    }

    /** @return whether the sender is gone; asks {@link Mappers} at most every slice, or second if unseen */
    private boolean senderGone() {
        if (senderGone) {
            return true;
        }
        long now = System.nanoTime();
        if (now - lookedAt < (senderSeen ? SLICE_NANOS : UNSEEN_LOOK_NANOS)) {
            return false;
        }
        lookedAt = now;
        boolean mapped = queue.mappers.anyOther();
        senderGone = senderSeen && !mapped;
        senderSeen |= mapped;
        return senderGone;
    }

    /**
     * Waits up to {@code nanos} for the tail to move past {@link #head}. The tail the queue is
     * empty at is {@code head}, not a fresh read of the tail: a message published since
     * {@link #tryTake} looked would otherwise be taken for the baseline and slept through.
     */
    private void await(long nanos, boolean spin) {
        int tail = head;
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(Math.min(nanos, park));
            park = Math.min(2 * park, MAX_PARK_NANOS);
            return;
        }
        if (spin && spinNanos > 0) {
            long end = System.nanoTime() + Math.min(spinNanos, nanos);
            while (queue.tail() == tail && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            if (queue.tail() != tail) {
                return;
            }
        }
        queue.addWaiter();
        try {
            // The futex compares the tail with what was seen, so a message published after the
            // look above ends the wait at once rather than being slept through.
            if (!isClosedLocally()) {
                Futex.await(queue.tailWord, tail, timespec, nanos);
            }
        } finally {
            queue.removeWaiter();
        }
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) {
        throw new UnsupportedOperationException(name + ": " + mode.call + ": this is the receiving end of a ZIPC"
                + " queue; open a sender with Conduit.openSender");
    }

    /**
     * Wakes this side's waiting thread, unmaps the queue, and removes the object if no other
     * process maps it: then no sender is left to write into it.
     */
    @Override
    protected void closeTransport() {
        queue.wake(Integer.MAX_VALUE);
        queue.unmap();
        try {
            timespecs.close();
        } catch (IllegalStateException e) {
            // A thread stayed in its wait past the linger: its time-out stays allocated.
        }
        // Looked at once unmapped: of two ends closing at once, the second to look sees none.
        if (!queue.mappers.anyOther()) {
            queue.unlink();
        }
    }
}
