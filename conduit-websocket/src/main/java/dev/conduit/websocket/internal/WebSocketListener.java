package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.ListenerCounters;
import dev.conduit.Subscription;
import dev.conduit.spi.support.ArrivalQueue;
import dev.conduit.spi.support.ListenerStatistics;
import dev.conduit.spi.support.ReceiveLimits;
import dev.conduit.spi.support.Timeouts;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A WebSocket listener: a virtual thread accepts sockets, and each socket gets a virtual thread
 * of its own for its handshake, so a slow or silent client holds up no other; the handshake
 * has {@value #HANDSHAKE_SECONDS} s. {@code accept} hands connections out in the order their
 * clients connected, as a socket listener does ({@link ArrivalQueue}: a handshake that takes over
 * a second is passed over by later ones); a refused one (HTTP 400, 401, 403, 404) is never
 * seen. A client's {@code connect} returns once its handshake is done, whether or not anyone is
 * in {@code accept}. Beyond {@value #READY} clients waiting for {@code accept}, new ones wait in
 * the socket's backlog, as with any listener.
 */
final class WebSocketListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;
    static final int HANDSHAKE_SECONDS = 10;

    private final Endpoint endpoint;
    private final String name;
    private final WsSettings settings;
    private final ReceiveLimits limits;
    private final SslContext tls;
    private final ServerSocketChannel server;
    /** Clients from the moment their sockets are accepted, handed to {@code accept} in that order. */
    private final ArrivalQueue arrivals;
    private final ListenerStatistics statistics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread acceptor;

    /**
     * @param endpoint where it listens, with the port the socket got
     * @param limits   what each connection may cost: time-outs and the receive budget
     * @param server   the bound socket, in blocking mode; the listener owns it
     */
    WebSocketListener(Endpoint endpoint, WsSettings settings, ReceiveLimits limits, SslContext tls,
            ServerSocketChannel server) {
        this.endpoint = endpoint;
        this.name = endpoint.redacted();
        this.settings = settings;
        this.limits = limits;
        this.tls = tls;
        this.server = server;
        this.arrivals = new ArrivalQueue(name, READY);
        this.statistics = new ListenerStatistics(endpoint);
    }

    /** Starts accepting. */
    void start() {
        acceptor = Thread.ofVirtual().name("conduit-ws-accept " + name).start(this::acceptSockets);
    }

    private void acceptSockets() {
        while (!closed.get()) {
            SocketChannel socket;
            try {
                socket = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // Out of descriptors, say: the client is gone; the listener goes on.
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1}", name, e.toString());
                continue;
            }
            if (closed.get()) {
                closeQuietly(socket); // came in while close ran
                return;
            }
            ArrivalQueue.Place place;
            try {
                place = arrivals.arrive();
            } catch (InterruptedException e) {
                closeQuietly(socket);
                return;
            }
            Thread.ofVirtual().name("conduit-ws-handshake " + name).start(() -> handshake(socket, place));
        }
    }

    /** @param place the client's place in the accept queue */
    private void handshake(SocketChannel socket, ArrivalQueue.Place place) {
        WebSocketConnection connection;
        try {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connection = WebSocketConnection.accept(settings, limits, tls, socket,
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(HANDSHAKE_SECONDS));
        } catch (IOException | RuntimeException e) {
            // A client silent or too slow through its upgrade is the one worth a line: it held a socket for 10 s.
            LOG.log(e instanceof SocketTimeoutException ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "{0}: no WebSocket from {1}: {2}; closed", name, socket.socket().getRemoteSocketAddress(),
                    e.toString());
            closeQuietly(socket);
            statistics.handshakeFailed(e);
            place.failed(e);
            return;
        }
        place.done(connection);
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // It is gone either way.
        }
    }

    @Override
    public Connection accept() throws IOException {
        return statistics.accepted(arrivals.take(-1));
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return statistics.accepted(arrivals.take(Timeouts.waitNanos(timeout)));
    }

    @Override
    public ListenerCounters counters() {
        return statistics.counters();
    }

    @Override
    public Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return statistics.subscribe(subscriber);
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
        server.close();
        // Before the wait below: an acceptor waiting for a place in a full queue gets one now.
        arrivals.close();
        // A socket whose accepting thread is virtual closes only once that thread has left
        // accept: until then the port still takes connections, so wait for it.
        Thread t = acceptor;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "WebSocketListener[" + name + (closed.get() ? ", closed]" : "]");
    }
}
