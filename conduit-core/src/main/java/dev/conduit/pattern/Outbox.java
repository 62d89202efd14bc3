package dev.conduit.pattern;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A member's bounded queue of messages waiting to be sent, taken by the member's own thread. The
 * lock and the "room" condition come from the owner: a broadcast gives each member its own, a
 * distributor shares one among all members, so one wait covers "any member has room".
 */
final class Outbox<M> {
    private final int capacity;
    private final ReentrantLock lock;
    private final Condition room;
    private final Condition notEmpty;
    private final ArrayDeque<M> messages = new ArrayDeque<>();
    private boolean closed;
    private boolean draining;

    Outbox(int capacity, ReentrantLock lock, Condition room) {
        this.capacity = capacity;
        this.lock = lock;
        this.room = room;
        this.notEmpty = lock.newCondition();
    }

    /** @return whether {@code message} was queued: {@code false} if full or closed. Never blocks. */
    boolean offer(M message) {
        return add(message, true);
    }

    /** @return whether {@code message} was queued, full or not: {@code false} only if closed. Never blocks. */
    boolean force(M message) {
        return add(message, false);
    }

    private boolean add(M message, boolean bounded) {
        lock.lock();
        try {
            if (closed || bounded && messages.size() >= capacity) {
                return false;
            }
            messages.addLast(message);
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues {@code message}, waiting while full.
     *
     * @return {@code false} if the outbox is or becomes closed first
     */
    boolean put(M message) throws InterruptedException {
        lock.lock();
        try {
            while (!closed && messages.size() >= capacity) {
                room.await();
            }
            return offer(message);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues {@code message}, dropping the oldest queued one if full.
     *
     * @return the message dropped to make room, or {@code null} if none was; {@code message}
     *         itself if the outbox is closed
     */
    M offerDroppingOldest(M message) {
        lock.lock();
        try {
            if (closed) {
                return message;
            }
            M dropped = messages.size() >= capacity ? messages.pollFirst() : null;
            messages.addLast(message);
            notEmpty.signal();
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until a message is queued.
     *
     * @return the oldest message, or {@code null} once closed (and, if closed by {@link #finish},
     *         emptied)
     */
    M take() throws InterruptedException {
        lock.lock();
        try {
            while (messages.isEmpty() && !closed) {
                notEmpty.await();
            }
            if (closed && !draining) {
                return null;
            }
            M message = messages.pollFirst();
            room.signalAll();
            return message;
        } finally {
            lock.unlock();
        }
    }

    /** Closes, leaving what is queued to be taken; nothing more goes in. */
    void finish() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                draining = true;
            }
            notEmpty.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** @return what was queued, in order; closes, so nothing more goes in or out */
    List<M> close() {
        lock.lock();
        try {
            closed = true;
            draining = false;
            List<M> left = new ArrayList<>(messages);
            messages.clear();
            notEmpty.signalAll();
            room.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    boolean isFull() {
        lock.lock();
        try {
            return messages.size() >= capacity;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return messages.size();
        } finally {
            lock.unlock();
        }
    }
}
