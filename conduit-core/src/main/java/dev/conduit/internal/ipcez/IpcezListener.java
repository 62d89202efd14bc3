package dev.conduit.internal.ipcez;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.CountedListener;
import dev.conduit.internal.ListenerStats;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Unix socket listener whose connections speak ipcez's acknowledgements over the semaphores
 * it made. Closing it unlinks the semaphores; connections it accepted keep theirs open until
 * they close.
 */
final class IpcezListener implements CountedListener {
    private final Endpoint endpoint;
    private final ListenerStats stats;
    private final Listener sockets;
    private final AckSemaphores semaphores;
    private final AtomicBoolean closed = new AtomicBoolean();

    IpcezListener(Endpoint endpoint, Listener sockets, AckSemaphores semaphores) {
        this.endpoint = endpoint;
        this.stats = new ListenerStats(endpoint);
        this.sockets = sockets;
        this.semaphores = semaphores;
    }

    @Override
    public Connection accept() throws IOException {
        return stats.accepted(wrap(sockets.accept()));
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        Connection raw = sockets.accept(timeout);
        return raw == null ? null : stats.accepted(wrap(raw));
    }

    private Connection wrap(Connection raw) throws IOException {
        if (!semaphores.retain()) {
            raw.close();
            throw new ConnectionClosedException(endpoint + ": accept: listener closed");
        }
        return new IpcezConnection(endpoint, raw, semaphores);
    }

    @Override
    public Endpoint endpoint() {
        return sockets.endpoint();
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            sockets.close();
        } finally {
            try {
                semaphores.unlink();
            } finally {
                semaphores.release();
            }
        }
    }

    @Override
    public String toString() {
        return "IpcezListener[" + sockets + "]";
    }

    @Override
    public ListenerStats stats() {
        return stats;
    }
}
