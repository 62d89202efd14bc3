package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A WebSocket listener: Netty accepts sockets and does each handshake on its event loop; a
 * connection whose handshake is done joins a queue that {@code accept} takes from, in the order
 * the handshakes finished. A client's {@code connect} returns once its handshake is done, whether
 * or not anyone is in {@code accept}. Beyond {@value #READY} connections waiting, new ones are
 * closed with code 1013 (try again later).
 */
final class WebSocketListener implements Listener {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int READY = 128;

    // Set once bound; made before, so that no connection can arrive before the listener exists.
    private volatile Endpoint endpoint;
    private volatile String name;
    private volatile Channel server;
    /** Connections whose handshake is done, then {@link #CLOSED} once the listener is closed. */
    private final BlockingQueue<Object> ready = new LinkedBlockingQueue<>();
    /** Put last by {@link #close()}; whoever takes it puts it back for the next. */
    private static final Object CLOSED = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param name how messages name the listener until {@link #bound} says where it listens */
    WebSocketListener(String name) {
        this.name = name;
    }

    /** The server socket is bound: {@code endpoint} has the port it got. */
    void bound(Endpoint endpoint, Channel server) {
        this.endpoint = endpoint;
        this.name = endpoint.redacted();
        this.server = server;
    }

    /** A handshake is done: queue the connection. Event loop. */
    void opened(WebSocketConnection connection) {
        if (closed.get()) {
            connection.channel().close();
            return;
        }
        if (ready.size() >= READY) {
            LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1} connections wait for accept already; closing a new"
                    + " one (code 1013, try again later)", name, READY);
            connection.channel().writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.TRY_AGAIN_LATER))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ready.add(connection);
        if (closed.get() && ready.remove(connection)) {
            connection.channel().close(); // close ran between the look above and the add
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
        server.close().awaitUninterruptibly();
        for (Object waiting; (waiting = ready.poll()) != null; ) {
            if (waiting != CLOSED) {
                ((WebSocketConnection) waiting).close();
            }
        }
        ready.add(CLOSED);
    }

    @Override
    public String toString() {
        return "WebSocketListener[" + name + (closed.get() ? ", closed]" : "]");
    }
}
