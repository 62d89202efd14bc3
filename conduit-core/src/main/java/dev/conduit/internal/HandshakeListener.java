package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.spi.support.ArrivalQueue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A listener for transports that set a connection up with a handshake over another one
 * ({@code shm:} maps rings, {@code ?protocol=conduit} exchanges hellos, {@code ?authkey=} runs
 * Python's challenge), accepting clients the way a socket listener does: a client's
 * {@code connect} returns once its handshake is done, whether or not anyone is in {@code accept}
 * yet, and {@code accept} hands connections out in the order the clients connected
 * ({@link ArrivalQueue}). A virtual thread accepts handshake sockets and runs each handshake on a
 * virtual thread of its own (so a slow or foreign client holds up no one's handshake); at most
 * {@value #READY} clients wait for {@code accept}, and beyond that new clients wait in the
 * socket's backlog. A client whose handshake failed is skipped and logged. Messages and logs
 * name the endpoint by {@link Endpoint#redacted()}.
 */
public final class HandshakeListener implements CountedListener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;

    /** Sets up the connection for an accepted handshake socket. */
    @FunctionalInterface
    public interface Handshake {
        Connection serve(Connection socket) throws IOException;
    }

    private final Endpoint endpoint;
    private final String name;
    private final Listener sockets;
    private final Handshake handshake;
    private final ArrivalQueue arrivals;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ListenerStats stats;

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
        this.arrivals = new ArrivalQueue(name, READY);
        this.stats = new ListenerStats(endpoint);
        Thread.ofVirtual().name("conduit-accept " + name).start(this::acceptSockets);
    }

    private void acceptSockets() {
        while (!closed.get()) {
            Connection socket;
            ArrivalQueue.Place place;
            try {
                socket = sockets.accept();
                place = arrivals.arrive();
            } catch (IOException | InterruptedException e) {
                if (!closed.get()) {
                    LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1}", name, e.getMessage());
                }
                return;
            }
            Thread.ofVirtual().name("conduit-handshake " + name).start(() -> serve(socket, place));
        }
    }

    private void serve(Connection socket, ArrivalQueue.Place place) {
        Connection made;
        try {
            made = handshake.serve(socket);
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: dropped a client: {1}", name, e.getMessage());
                stats.handshakeFailed(e);
            }
            closeQuietly(socket);
            place.failed(e);
            return;
        }
        place.done(made);
    }

    @Override
    public Connection accept() throws IOException {
        return stats.accepted(arrivals.take(-1));
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return stats.accepted(arrivals.take(AbstractConnection.toWaitNanos(timeout)));
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
            arrivals.close();
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

    @Override
    public ListenerStats stats() {
        return stats;
    }
}
