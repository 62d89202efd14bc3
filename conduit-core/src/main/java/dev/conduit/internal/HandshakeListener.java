package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listener for transports that set a connection up with a handshake over another one
 * ({@code shm:} maps rings, {@code ?protocol=conduit} exchanges hellos), accepting clients the way
 * a socket listener does: a client's {@code connect} returns once its handshake is done,
 * whether or not anyone is in {@code accept} yet, and
 * {@code accept} hands connections out in the order the clients connected. A virtual thread
 * accepts handshake sockets and runs each handshake on a virtual thread of its own (so a slow
 * or foreign client holds up no one's handshake); each socket's future connection joins a queue
 * of at most {@value #READY} in arrival order, and beyond that new clients wait in the socket's
 * backlog. A client whose handshake failed is skipped.
 */
public final class HandshakeListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;
    /** Put in the queue by {@link #close()}; whoever takes it puts it back for the next. */
    private static final CompletableFuture<Connection> CLOSED = new CompletableFuture<>();

    /** Sets up the connection for an accepted handshake socket. */
    @FunctionalInterface
    public interface Handshake {
        Connection serve(Connection socket) throws IOException;
    }

    private final Endpoint endpoint;
    private final Listener sockets;
    private final Handshake handshake;
    private final BlockingDeque<CompletableFuture<Connection>> ready = new LinkedBlockingDeque<>(READY + 1);
    /** One {@code accept} at a time looks at the head of the queue, so none is taken out of turn. */
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param endpoint  the endpoint clients use
     * @param sockets   the listener the handshakes arrive on; owned
     * @param handshake turns an accepted connection into the one {@code accept} returns
     */
    public HandshakeListener(Endpoint endpoint, Listener sockets, Handshake handshake) {
        this.endpoint = endpoint;
        this.sockets = sockets;
        this.handshake = handshake;
        Thread.ofVirtual().name("conduit-accept " + endpoint).start(this::acceptSockets);
    }

    private void acceptSockets() {
        while (!closed.get()) {
            Connection socket;
            CompletableFuture<Connection> connection = new CompletableFuture<>();
            try {
                socket = sockets.accept();
                ready.put(connection);
            } catch (IOException | InterruptedException e) {
                if (!closed.get()) {
                    LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1}", endpoint, e.getMessage());
                }
                return;
            }
            Thread.ofVirtual().name("conduit-handshake " + endpoint).start(() -> serve(socket, connection));
        }
    }

    private void serve(Connection socket, CompletableFuture<Connection> connection) {
        try {
            connection.complete(handshake.serve(socket));
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: dropped a client: {1}", endpoint, e.getMessage());
            }
            closeQuietly(socket);
            connection.completeExceptionally(e);
            return;
        }
        if (closed.get() && ready.remove(connection)) {
            closeQuietly(connection.join());
        }
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
        long deadline = System.nanoTime() + waitNanos;
        try {
            if (waitNanos < 0) {
                acceptLock.lockInterruptibly();
            } else if (!acceptLock.tryLock(waitNanos, TimeUnit.NANOSECONDS)) {
                return null;
            }
            try {
                while (true) {
                    if (closed.get()) {
                        throw closed();
                    }
                    CompletableFuture<Connection> next = waitNanos < 0 ? ready.takeFirst()
                            : ready.pollFirst(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        return null;
                    }
                    if (next == CLOSED) {
                        ready.offerFirst(CLOSED);
                        throw closed();
                    }
                    try {
                        return waitNanos < 0 ? next.get()
                                : next.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (TimeoutException e) {
                        ready.offerFirst(next);
                        return null;
                    } catch (ExecutionException e) {
                        // Its handshake failed and was logged: on to the next client.
                    }
                }
            } finally {
                acceptLock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(endpoint + ": accept: interrupted");
        }
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
            CompletableFuture<Connection> next;
            while ((next = ready.pollFirst()) != null) {
                next.thenAccept(HandshakeListener::closeQuietly);
            }
            ready.offerFirst(CLOSED);
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
        return "HandshakeListener[" + endpoint + (closed.get() ? ", closed]" : "]");
    }
}
