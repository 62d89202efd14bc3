package dev.conduit.internal.zipc;

import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.BiasedLock;
import dev.conduit.internal.Payloads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The sending end of {@code zipc:/NAME}: ZIPC's producer. A message is copied into the slot at
 * the tail, its length written beside it, and the tail published; the receiver is woken with
 * {@code FUTEX_WAKE} on the tail only if it says it waits ({@code waiters}), as ZIPC does.
 *
 * <p>Unlike ZIPC's own {@code send}, room is claimed before anything is written: a full queue
 * makes {@code send} wait and {@code trySend} return {@code false}, and never touches the slot
 * the receiver may still be reading. ZIPC's receiver never wakes a sender, so a full queue is
 * waited on by looking: a short spin, then parks from 10 µs doubling to 1 ms. Threads of this
 * process take turns ({@code sendLock}); ZIPC has one producer, so two processes must not send
 * on one queue.
 */
final class ZipcSender extends AbstractConnection {
    private static final long FIRST_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ZipcQueue queue;
    private final ByteBuffer view;
    private final long spinNanos;
    private final BiasedLock sendLock = new BiasedLock();
    /** The next slot to write; used under {@code sendLock}. */
    private int tail;

    ZipcSender(Endpoint endpoint, ZipcQueue queue, long spinNanos) {
        super(endpoint, endpoint.toString(), queue.slotSize);
        this.queue = queue;
        this.view = queue.buffer();
        this.spinNanos = spinNanos;
        queue.initialise();
        this.tail = queue.tail();
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) {
        throw new UnsupportedOperationException(name + ": receive: this is the sending end of a ZIPC queue;"
                + " open a receiver with Conduit.openReceiver");
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        if (!lockFor(sendLock, mode)) {
            return false;
        }
        try {
            int next = tail + 1 == queue.slots ? 0 : tail + 1;
            if (next == queue.head() && !awaitRoom(next, mode)) {
                return false;
            }
            Payloads.copy(payload, offset, 0, queue.mapping, view, queue.slotAt(tail), length);
            queue.setLength(tail, length);
            tail = next;
            queue.publishTail(next);
            if (queue.waiters() != 0) {
                queue.wake(1);
            }
            return true;
        } catch (IllegalStateException e) {
            // Unmapped by a concurrent close.
            throw closedLocally(mode.call);
        } finally {
            sendLock.unlock();
        }
    }

    /** @return once the slot before {@code next} is free; {@code false} at once for {@code trySend} */
    private boolean awaitRoom(int next, SendMode mode) throws IOException {
        if (mode == SendMode.TRY_SEND) {
            return false;
        }
        long spinEnd = System.nanoTime() + (Thread.currentThread().isVirtual() ? 0 : spinNanos);
        long park = FIRST_PARK_NANOS;
        while (next == queue.head()) {
            if (isClosedLocally()) {
                throw closedLocally(mode.call);
            }
            if (System.nanoTime() - spinEnd < 0) {
                Thread.onSpinWait();
                continue;
            }
            LockSupport.parkNanos(park);
            park = Math.min(2 * park, MAX_PARK_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw interrupted(mode.call);
            }
        }
        return true;
    }

    /**
     * Unmaps the queue once a send in progress has finished (a waiting one ends, closed); removes
     * the object if no other process maps it and nothing in it waits to be read.
     */
    @Override
    protected void closeTransport() {
        boolean locked = sendLock.tryLock(CLOSE_LINGER_NANOS);
        try {
            boolean drained = queue.head() == queue.tail();
            queue.unmap();
            // Looked at once unmapped: of two ends closing at once, the second to look sees none.
            if (drained && !queue.mappers.anyOther()) {
                queue.unlink();
            }
        } finally {
            if (locked) {
                sendLock.unlock();
            }
        }
    }
}
