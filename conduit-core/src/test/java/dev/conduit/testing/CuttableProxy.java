package dev.conduit.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback between a client and a listener that a test can cut (every relayed
 * connection closed at once, as a network fault would end them) and make drop what the listener
 * sends (so the client misses, say, an acknowledgement). Each relayed connection copies on two
 * virtual threads.
 */
public final class CuttableProxy implements AutoCloseable {
    private final ServerSocketChannel server;
    private final InetSocketAddress upstream;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile boolean dropReplies;
    private final AtomicLong toListener = new AtomicLong();

    /** Starts relaying from a free loopback port to {@code upstream}. */
    public CuttableProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofVirtual().name("proxy-accept").start(this::accept);
    }

    /** @return the port clients connect to */
    public int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    /** @return how many bytes clients have sent the listener through this relay so far */
    public long relayedToListener() {
        return toListener.get();
    }

    /** From now on, bytes from the listener to its clients are read and thrown away, or relayed again. */
    public void dropReplies(boolean drop) {
        dropReplies = drop;
    }

    /** Closes every relayed connection now; new ones are still accepted. */
    public void cut() {
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
        open.clear();
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel client = server.accept();
                SocketChannel listener = SocketChannel.open(upstream);
                open.add(client);
                open.add(listener);
                Thread.ofVirtual().start(() -> copy(client, listener, false));
                Thread.ofVirtual().start(() -> copy(listener, client, true));
            }
        } catch (IOException e) {
            // Closed.
        }
    }

    private void copy(SocketChannel from, SocketChannel to, boolean replies) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer.clear()) >= 0) {
                buffer.flip();
                if (replies && dropReplies) {
                    continue;
                }
                int n = buffer.remaining();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                if (!replies) {
                    toListener.addAndGet(n);
                }
            }
        } catch (IOException e) {
            // Cut, or an end closed: close the other way too.
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // Nothing to tell.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cut();
    }
}
