package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A WebSocket listener: a virtual thread accepts sockets, and each socket gets a virtual thread
 * of its own for its handshake, so a slow or silent client holds up no other; the handshake
 * has {@value #HANDSHAKE_SECONDS} s. A connection whose handshake is done joins a queue that
 * {@code accept} takes from, in the order the handshakes finished; a refused one (HTTP 401, 403,
 * 404) is never seen. A client's {@code connect} returns once its handshake is done, whether or
 * not anyone is in {@code accept}. Beyond {@value #READY} connections waiting, new ones are
 * closed with code 1013 (try again later).
 */
final class WebSocketListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;
    static final int HANDSHAKE_SECONDS = 10;

    private final Endpoint endpoint;
    private final String name;
    private final WsSettings settings;
    private final SslContext tls;
    private final ServerSocketChannel server;
    /** Connections whose handshake is done, then {@link #CLOSED} once the listener is closed. */
    private final BlockingQueue<Object> ready = new LinkedBlockingQueue<>();
    /** Put last by {@link #close()}; whoever takes it puts it back for the next. */
    private static final Object CLOSED = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread acceptor;

    /**
     * @param endpoint where it listens, with the port the socket got
     * @param server   the bound socket, in blocking mode; the listener owns it
     */
    WebSocketListener(Endpoint endpoint, WsSettings settings, SslContext tls, ServerSocketChannel server) {
        this.endpoint = endpoint;
        this.name = endpoint.redacted();
        this.settings = settings;
        this.tls = tls;
        this.server = server;
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
            Thread.ofVirtual().name("conduit-ws-handshake " + name).start(() -> handshake(socket));
        }
    }

    private void handshake(SocketChannel socket) {
        WebSocketConnection connection;
        try {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            connection = WebSocketConnection.accept(settings, tls, socket,
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(HANDSHAKE_SECONDS));
        } catch (IOException | RuntimeException e) {
            // A client silent or too slow through its upgrade is the one worth a line: it held a socket for 10 s.
            LOG.log(e instanceof SocketTimeoutException ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "{0}: no WebSocket from {1}: {2}; closed", name, socket.socket().getRemoteSocketAddress(),
                    e.toString());
            closeQuietly(socket);
            return;
        }
        opened(connection);
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // It is gone either way.
        }
    }

    private void opened(WebSocketConnection connection) {
        if (closed.get()) {
            connection.closeQuietly();
            return;
        }
        if (ready.size() >= READY) {
            LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1} connections wait for accept already; closing a new"
                    + " one (code 1013, try again later)", name, READY);
            connection.closeWith(WebSocketCloseStatus.TRY_AGAIN_LATER);
            return;
        }
        ready.add(connection);
        if (closed.get() && ready.remove(connection)) {
            connection.closeQuietly(); // close ran between the look above and the add
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
        try {
            Object next = waitNanos < 0 ? ready.take() : ready.poll(waitNanos, TimeUnit.NANOSECONDS);
            if (next == CLOSED || (next == null && closed.get())) {
                if (next == CLOSED) {
                    ready.add(CLOSED);
                }
                throw new ConnectionClosedException(name + ": accept: listener closed");
            }
            return (WebSocketConnection) next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": accept: interrupted");
        }
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
        for (Object waiting; (waiting = ready.poll()) != null; ) {
            if (waiting != CLOSED) {
                ((WebSocketConnection) waiting).closeQuietly();
            }
        }
        ready.add(CLOSED);
    }

    @Override
    public String toString() {
        return "WebSocketListener[" + name + (closed.get() ? ", closed]" : "]");
    }
}
