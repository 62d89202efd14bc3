package dev.conduit.internal.shm;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Accepts {@code shm:} clients the way a socket listener does: a client's {@code connect}
 * returns once the rings are set up, whether or not anyone is in {@code accept} yet. A virtual
 * thread accepts handshake sockets and runs each handshake on a virtual thread of its own (so a
 * slow or foreign client holds up no one); finished connections wait in a queue of
 * {@value #READY} for {@code accept}, and beyond that new clients wait in the socket's backlog.
 */
final class ShmListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;
    /** Put in the queue by {@link #close()}; whoever takes it puts it back for the next. */
    private static final Optional<Connection> CLOSED = Optional.empty();

    /** Sets up the connection for an accepted handshake socket. */
    @FunctionalInterface
    interface Handshake {
        Connection serve(Connection socket) throws IOException;
    }

    private final Endpoint endpoint;
    private final Listener sockets;
    private final Handshake handshake;
    private final BlockingQueue<Optional<Connection>> ready = new ArrayBlockingQueue<>(READY + 1);
    private final AtomicBoolean closed = new AtomicBoolean();

    ShmListener(Endpoint endpoint, Listener sockets, Handshake handshake) {
        this.endpoint = endpoint;
        this.sockets = sockets;
        this.handshake = handshake;
        Thread.ofVirtual().name("conduit-accept " + endpoint).start(this::acceptSockets);
    }

    private void acceptSockets() {
        while (!closed.get()) {
            Connection socket;
            try {
                socket = sockets.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1}", endpoint, e.getMessage());
                }
                return;
            }
            Thread.ofVirtual().name("conduit-handshake " + endpoint).start(() -> serve(socket));
        }
    }

    private void serve(Connection socket) {
        Connection connection;
        try {
            connection = handshake.serve(socket);
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: dropped a client: {1}", endpoint, e.getMessage());
            }
            closeQuietly(socket);
            return;
        }
        try {
            while (!closed.get()) {
                Optional<Connection> entry = Optional.of(connection);
                if (ready.offer(entry, 100, TimeUnit.MILLISECONDS)) {
                    if (closed.get() && ready.remove(entry)) {
                        closeQuietly(connection);
                    }
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(connection);
    }

    @Override
    public Connection accept() throws IOException {
        return take(-1);
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return take(AbstractConnection.toWaitNanos(timeout));
    }

    private Connection take(long waitNanos) throws IOException {
        if (closed.get()) {
            throw closed();
        }
        Optional<Connection> entry;
        try {
            entry = waitNanos < 0 ? ready.take() : ready.poll(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(endpoint + ": accept: interrupted");
        }
        if (entry == null) {
            return null;
        }
        if (entry.isEmpty()) {
            ready.offer(CLOSED);
            throw closed();
        }
        return entry.get();
    }

    private ConnectionClosedException closed() {
        return new ConnectionClosedException(endpoint + ": accept: listener closed");
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            sockets.close();
        } finally {
            Optional<Connection> entry;
            while ((entry = ready.poll()) != null) {
                entry.ifPresent(ShmListener::closeQuietly);
            }
            ready.offer(CLOSED);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (IOException e) {
            // Closing on the way out; nothing to tell.
        }
    }

    @Override
    public String toString() {
        return "ShmListener[" + endpoint + (closed.get() ? ", closed]" : "]");
    }
}
