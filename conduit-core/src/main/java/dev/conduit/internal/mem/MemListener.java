package dev.conduit.internal.mem;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.CountedListener;
import dev.conduit.internal.ListenerStats;
import dev.conduit.internal.QueueConnection;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** A {@code mem:} listener: a backlog of connections made by {@link MemTransport#connect}. */
final class MemListener implements CountedListener {
    private final Endpoint endpoint;
    private final ListenerStats stats;
    private final int maxFrame;
    private final long capacity;
    private final long spinNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<QueueConnection> backlog = new ArrayDeque<>();
    private boolean closed;

    MemListener(Endpoint endpoint, int maxFrame, long capacity, long spinNanos) {
        this.endpoint = endpoint;
        this.stats = new ListenerStats(endpoint);
        this.maxFrame = maxFrame;
        this.capacity = capacity;
        this.spinNanos = spinNanos;
    }

    /** @return the client's end, or null if this listener has closed */
    Connection connect(Endpoint client, int clientMax, long clientSpin) {
        QueueConnection[] ends = MemTransport.pair(client, endpoint, clientMax, maxFrame, capacity, clientSpin,
                spinNanos);
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            backlog.add(ends[1]);
            arrived.signal();
            return ends[0];
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Connection accept() throws IOException {
        return stats.accepted(accept(-1));
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return stats.accepted(accept(AbstractConnection.toWaitNanos(timeout)));
    }

    private Connection accept(long waitNanos) throws IOException {
        lock.lock();
        try {
            long left = waitNanos;
            while (backlog.isEmpty()) {
                if (closed) {
                    throw MemTransport.listenerClosed(endpoint);
                }
                if (waitNanos == 0 || (waitNanos > 0 && left <= 0)) {
                    return null;
                }
                if (waitNanos < 0) {
                    arrived.await();
                } else {
                    left = arrived.awaitNanos(left);
                }
            }
            if (closed) {
                throw MemTransport.listenerClosed(endpoint);
            }
            return backlog.poll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(endpoint + ": accept: interrupted");
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            arrived.signalAll();
            for (QueueConnection pending : backlog) {
                pending.close();
            }
            backlog.clear();
        } finally {
            lock.unlock();
        }
        MemTransport.unregister(this);
    }

    @Override
    public ListenerStats stats() {
        return stats;
    }
}
