package dev.conduit.internal.socket;

import dev.conduit.internal.Backoff;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Connecting with a deadline, retrying while nobody listens yet, for every stream socket. */
public final class Sockets {
    /**
     * The accept queue asked of the kernel for every listening socket (it caps it at
     * {@code net.core.somaxconn}, 4096 on current Linux). With 128, a burst of 500 clients
     * overflowed it: TCP's SYN cookies then finished handshakes the full queue dropped, and a
     * client that connected and waited to be spoken to was never accepted (LoadTest, -Pload).
     */
    public static final int BACKLOG = 4096;

    private Sockets() {
    }

    /**
     * Connects to {@code address}, retrying failed attempts (no socket file yet, connection
     * refused) until {@code timeoutNanos} have passed.
     *
     * @param family       the protocol family of the channel to open, or null for the default
     * @param address      where to connect
     * @param timeoutNanos how long to keep trying; 0 for one attempt
     * @return the connected channel, in non-blocking mode
     * @throws IOException the last attempt's failure, once time is up
     */
    public static SocketChannel connect(ProtocolFamily family, SocketAddress address, long timeoutNanos)
            throws IOException {
        return connect(family, address, timeoutNanos, e -> true);
    }

    /**
     * As {@link #connect(ProtocolFamily, SocketAddress, long)}, but a failure that will not go away
     * by waiting (e.g. permission denied) ends the tries at once.
     *
     * @param retryable answers whether an attempt's failure is worth another try
     * @return the connected channel, in non-blocking mode
     * @throws IOException the first failure {@code retryable} refuses, or the last attempt's failure once
     *                     time is up
     */
    public static SocketChannel connect(ProtocolFamily family, SocketAddress address, long timeoutNanos,
            Predicate<IOException> retryable) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        Backoff backoff = new Backoff(timeoutNanos);
        while (true) {
            try {
                SocketChannel channel = attempt(family, address, deadline);
                if (channel != null) {
                    return channel;
                }
                throw new SocketTimeoutException("connect timed out");
            } catch (IOException e) {
                if (!retryable.test(e) || !backoff.pause("connect to " + address)) {
                    throw e;
                }
            }
        }
    }

    private static SocketChannel attempt(ProtocolFamily family, SocketAddress address, long deadline)
            throws IOException {
        SocketChannel channel = family == null ? SocketChannel.open() : SocketChannel.open(family);
        try {
            channel.configureBlocking(false);
            if (!channel.connect(address)) {
                try (Selector selector = Selector.open()) {
                    channel.register(selector, SelectionKey.OP_CONNECT);
                    while (!channel.finishConnect()) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            channel.close();
                            return null;
                        }
                        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                        selector.selectedKeys().clear();
                    }
                }
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
}
