package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listener for transports that set a connection up with a handshake over another one
 * ({@code shm:} maps rings, {@code ?protocol=conduit} exchanges hellos, {@code ?authkey=} runs
 * Python's challenge), accepting clients the way a socket listener does: a client's
 * {@code connect} returns once its handshake is done, whether or not anyone is in {@code accept}
 * yet, and {@code accept} hands connections out in the order the clients connected. A virtual
 * thread accepts handshake sockets and runs each handshake on a virtual thread of its own (so a
 * slow or foreign client holds up no one's handshake); each socket's future connection joins a
 * queue of at most {@value #READY} in arrival order, and beyond that new clients wait in the
 * socket's backlog. A client whose handshake failed is skipped. One whose handshake has run
 * for more than {@link #PATIENCE_NANOS} is passed over by clients that finished after it, so a
 * silent client holds {@code accept} up for that long at most, not until its handshake times
 * out. Messages and logs name the endpoint by {@link Endpoint#redacted()}.
 */
public final class HandshakeListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;
    /**
     * How long a handshake keeps its place in the queue: far above a normal handshake (well
     * under a millisecond), so order holds, and far below a handshake's time-out (seconds).
     */
    static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Put at the head of the queue by {@link #close()} and left there. */
    private static final Pending CLOSED = new Pending(new CompletableFuture<>(), 0);

    /** A client's connection, done once its handshake is, and when its socket was accepted. */
    private record Pending(CompletableFuture<Connection> connection, long acceptedAt) {
    }

    /** Sets up the connection for an accepted handshake socket. */
    @FunctionalInterface
    public interface Handshake {
        Connection serve(Connection socket) throws IOException;
    }

    private final Endpoint endpoint;
    private final String name;
    private final Listener sockets;
    private final Handshake handshake;
    private final BlockingDeque<Pending> ready = new LinkedBlockingDeque<>(READY + 1);
    /** One {@code accept} at a time looks at the queue, so none is taken out of turn. */
    private final ReentrantLock acceptLock = new ReentrantLock();
    /** Signalled whenever the queue gains an entry or an entry's handshake ends. */
    private final ReentrantLock progressLock = new ReentrantLock();
    private final Condition progress = progressLock.newCondition();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param endpoint  the endpoint clients use
     * @param sockets   the listener the handshakes arrive on; owned
     * @param handshake turns an accepted connection into the one {@code accept} returns
     */
    public HandshakeListener(Endpoint endpoint, Listener sockets, Handshake handshake) {
        this.endpoint = endpoint;
        this.name = endpoint.redacted();
        this.sockets = sockets;
        this.handshake = handshake;
        Thread.ofVirtual().name("conduit-accept " + name).start(this::acceptSockets);
    }

    private void acceptSockets() {
        while (!closed.get()) {
            Connection socket;
            Pending connection;
            try {
                socket = sockets.accept();
                connection = new Pending(new CompletableFuture<>(), System.nanoTime());
                ready.put(connection);
            } catch (IOException | InterruptedException e) {
                if (!closed.get()) {
                    LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1}", name, e.getMessage());
                }
                return;
            }
            signalProgress();
            Thread.ofVirtual().name("conduit-handshake " + name).start(() -> serve(socket, connection));
        }
    }

    private void serve(Connection socket, Pending connection) {
        try {
            connection.connection().complete(handshake.serve(socket));
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: dropped a client: {1}", name, e.getMessage());
            }
            closeQuietly(socket);
            connection.connection().completeExceptionally(e);
        } finally {
            signalProgress();
        }
        if (closed.get() && !connection.connection().isCompletedExceptionally() && ready.remove(connection)) {
            closeQuietly(connection.connection().join());
        }
    }

    private void signalProgress() {
        progressLock.lock();
        try {
            progress.signalAll();
        } finally {
            progressLock.unlock();
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
                    Pending next = awaitNext(waitNanos < 0 ? Long.MAX_VALUE : deadline);
                    if (next == null) {
                        return null;
                    }
                    if (next == CLOSED) {
                        throw closed();
                    }
                    ready.remove(next);
                    try {
                        return next.connection().join();
                    } catch (CompletionException | CancellationException e) {
                        // Its handshake failed and was logged: on to the next client.
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
     * Waits for the first entry {@code accept} may take: {@link #CLOSED}, or the first whose
     * handshake is over and behind which only entries past their patience wait.
     *
     * @return the entry, or {@code null} at the deadline
     */
    private Pending awaitNext(long deadline) throws InterruptedException {
        progressLock.lockInterruptibly();
        try {
            while (true) {
                long now = System.nanoTime();
                long recheckAt = deadline;
                for (Pending p : ready) {
                    if (p == CLOSED || p.connection().isDone()) {
                        return p;
                    }
                    if (now - p.acceptedAt() < PATIENCE_NANOS) {
                        recheckAt = Math.min(deadline, p.acceptedAt() + PATIENCE_NANOS);
                        break;
                    }
                }
                if (closed.get()) {
                    return CLOSED;
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

    private ConnectionClosedException closed() {
        return new ConnectionClosedException(name + ": accept: listener closed");
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
            Pending next;
            while ((next = ready.pollFirst()) != null) {
                next.connection().thenAccept(HandshakeListener::closeQuietly);
            }
            ready.offerFirst(CLOSED);
            signalProgress();
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
        return "HandshakeListener[" + name + (closed.get() ? ", closed]" : "]");
    }
}
