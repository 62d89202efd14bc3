package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import io.netty.channel.Channel;

import java.io.IOException;
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

    private final Endpoint endpoint;
    private final String name;
    private final Channel server;
    private final BlockingQueue<WebSocketConnection> ready = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    WebSocketListener(Endpoint endpoint, String name, Channel server) {
        this.endpoint = endpoint;
        this.name = name;
        this.server = server;
    }

    /** A handshake is done: queue the connection. Event loop. */
    void opened(WebSocketConnection connection) {
        if (closed.get() || ready.size() >= READY) {
            LOG.log(System.Logger.Level.WARNING, "{0}: accept: {1} connections wait for accept already; closing a new"
                    + " one", name, READY);
            connection.channel().writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(
                    io.netty.handler.codec.http.websocketx.WebSocketCloseStatus.TRY_AGAIN_LATER))
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        ready.add(connection);
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
            while (true) {
                if (closed.get()) {
                    throw new ConnectionClosedException(name + ": accept: listener closed");
                }
                WebSocketConnection next = waitNanos < 0 ? ready.poll(100, TimeUnit.MILLISECONDS)
                        : ready.poll(Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
                if (next != null) {
                    return next;
                }
                if (waitNanos >= 0) {
                    waitNanos -= TimeUnit.MILLISECONDS.toNanos(100);
                    if (waitNanos <= 0) {
                        return null;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(name + ": accept: interrupted");
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
        for (WebSocketConnection waiting; (waiting = ready.poll()) != null; ) {
            waiting.close();
        }
    }

    @Override
    public String toString() {
        return "WebSocketListener[" + name + (closed.get() ? ", closed]" : "]");
    }
}
