package dev.conduit.spi.support;

import dev.conduit.internal.socket.Readiness;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Waits for a non-blocking {@link SocketChannel} to become readable or writable, as the
 * built-in socket transports do: one {@link Selector} per direction, made on first need, so a
 * receiver and a sender never wait on the same one. One thread at a time may wait for each
 * direction; {@link #wake()} and {@link #close()} may be called by any thread. Also connects
 * with retries ({@link #connect}) and names the listening backlog ({@link #BACKLOG}).
 */
public final class SocketReadiness {
    /**
     * The accept queue to ask of the kernel for a listening socket (Linux caps it at
     * {@code net.core.somaxconn}); smaller queues drop clients in a burst of connections.
     */
    public static final int BACKLOG = dev.conduit.internal.socket.Sockets.BACKLOG;

    private final Readiness readiness;

    /**
     * Makes the waits for one connection's channel.
     *
     * @param channel       the channel, already non-blocking
     * @param name          how messages name its connection
     * @param closedLocally whether the connection was closed locally: waits end once it says so
     * @param closed        makes the exception for a call (its name given) that finds the
     *                      connection closed locally, e.g. {@link MessageConnection}'s
     *                      {@code closedLocally}
     */
    public SocketReadiness(SocketChannel channel, String name, BooleanSupplier closedLocally,
            Function<String, IOException> closed) {
        this.readiness = new Readiness(channel, name, closedLocally, closed);
    }

    /**
     * Looks, without sleeping, whether the channel is readable until {@code untilNanos}, so that
     * bytes coming within that time cost no scheduler wake-up. Not for virtual threads, whose
     * carrier it would hold.
     *
     * @param untilNanos a {@link System#nanoTime()} value: when to stop looking
     * @param call       the API call, for messages
     * @return whether it became readable (or reached its end); {@code false} once time is up or
     *         the connection closed locally
     * @throws IOException {@code closed} for {@code call} if the connection closed locally
     */
    public boolean spinUntilReadable(long untilNanos, String call) throws IOException {
        return readiness.spinUntilReadable(untilNanos, call);
    }

    /**
     * Sleeps until the channel is ready for {@code op}, {@code nanos} pass, {@link #wake()} or
     * {@link #close()}. A caller loops: it may return without the channel being ready.
     *
     * @param op    {@link SelectionKey#OP_READ} or {@link SelectionKey#OP_WRITE}
     * @param nanos the most to sleep; 0 for no limit
     * @param call  the API call, for messages
     * @throws InterruptedIOException if the thread is interrupted (its flag stays set)
     * @throws IOException            {@code closed} for {@code call} if the connection closed
     *                                locally
     */
    public void await(int op, long nanos, String call) throws IOException {
        readiness.await(op, nanos, call);
    }

    /**
     * As {@link #await}, for the closing thread itself, whose own close must not end the wait:
     * it gives queued bytes a last time to go out.
     *
     * @param op    {@link SelectionKey#OP_READ} or {@link SelectionKey#OP_WRITE}
     * @param nanos the most to sleep; 0 for no limit
     * @param call  the API call, for messages
     * @throws IOException if the channel or the selector is closed, or the thread interrupted
     */
    public void awaitWhileClosing(int op, long nanos, String call) throws IOException {
        readiness.awaitWhileClosing(op, nanos, call);
    }

    /** Wakes whoever waits, to look again at why it waits. Any thread; never blocks. */
    public void wake() {
        readiness.wake();
    }

    /** Wakes whoever waits, and makes every later wait fail as closed. Any thread; idempotent. */
    public void close() {
        readiness.close();
    }

    /**
     * Connects to {@code address}, retrying failed attempts (no listener yet, connection refused)
     * with Conduit's back-off until {@code timeoutNanos} have passed. Blocks the calling thread.
     *
     * @param family       the protocol family of the channel to open, or {@code null} for the
     *                     default
     * @param address      where to connect
     * @param timeoutNanos how long to keep trying; 0 for one attempt
     * @return the connected channel, in non-blocking mode
     * @throws IOException the last attempt's failure, once time is up
     */
    public static SocketChannel connect(ProtocolFamily family, SocketAddress address, long timeoutNanos)
            throws IOException {
        return dev.conduit.internal.socket.Sockets.connect(family, address, timeoutNanos);
    }
}
