package dev.conduit.internal.socket;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.CountedListener;
import dev.conduit.internal.ListenerStats;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A listener over a {@link ServerSocketChannel} in non-blocking mode, so {@code accept} can
 * time out; the transport supplies how an accepted channel becomes a connection (or is refused)
 * and what closing removes.
 */
public final class SocketListener implements CountedListener {
    /** Turns an accepted channel into a connection, or returns null to refuse the peer. */
    @FunctionalInterface
    public interface Acceptor {
        /**
         * @param channel the accepted channel, owned by the callee
         * @return the connection, or {@code null} if the peer was refused (channel closed)
         * @throws IOException if the channel cannot be set up
         */
        Connection accept(SocketChannel channel) throws IOException;
    }

    private final Endpoint endpoint;
    private final ServerSocketChannel server;
    private final Acceptor acceptor;
    private final Runnable cleanup;
    private final Selector selector;
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final ListenerStats stats;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param endpoint the endpoint clients use, resolved
     * @param server   a bound server channel, owned from now on
     * @param acceptor makes connections from accepted channels
     * @param cleanup  run once on close, after the server channel is closed
     * @throws IOException if the selector cannot be opened
     */
    public SocketListener(Endpoint endpoint, ServerSocketChannel server, Acceptor acceptor, Runnable cleanup)
            throws IOException {
        this.endpoint = endpoint;
        this.server = server;
        this.acceptor = acceptor;
        this.stats = new ListenerStats(endpoint);
        this.cleanup = cleanup;
        server.configureBlocking(false);
        this.selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    @Override
    public Connection accept() throws IOException {
        return accept(-1);
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        return accept(AbstractConnection.toWaitNanos(timeout));
    }

    private Connection accept(long waitNanos) throws IOException {
        long deadline = System.nanoTime() + waitNanos;
        acceptLock.lock();
        try {
            while (true) {
                if (closed.get()) {
                    throw closed();
                }
                SocketChannel channel;
                try {
                    channel = server.accept();
                } catch (ClosedChannelException e) {
                    throw closed();
                }
                if (channel != null) {
                    Connection connection = acceptor.accept(channel);
                    if (connection != null) {
                        return stats.accepted(connection);
                    }
                    stats.refused();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (waitNanos == 0 || (waitNanos > 0 && left <= 0)) {
                    return null;
                }
                try {
                    selector.select(waitNanos < 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                    selector.selectedKeys().clear();
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedIOException(endpoint + ": accept: interrupted");
                    }
                } catch (ClosedSelectorException e) {
                    throw closed();
                }
            }
        } finally {
            acceptLock.unlock();
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
            server.close();
            selector.wakeup();
            selector.close();
        } finally {
            cleanup.run();
        }
    }

    @Override
    public String toString() {
        return "SocketListener[" + endpoint + (closed.get() ? ", closed]" : "]");
    }

    @Override
    public ListenerStats stats() {
        return stats;
    }
}
