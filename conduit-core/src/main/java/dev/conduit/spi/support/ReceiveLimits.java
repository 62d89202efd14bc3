package dev.conduit.spi.support;

import dev.conduit.Endpoint;

import java.util.Set;

/**
 * What a connection's receiving side may cost (docs/limits.md): the clocks of
 * {@code ?idleTimeout=} (a peer that sends nothing) and {@code ?frameTimeout=} (a message begun
 * and not finished), and, for a listener's connections, a budget of bytes held in partly
 * received messages, shared with the other connections ({@code ?receiveBudget=}, else the
 * process's, which the built-in stream listeners share too). A transport reads the options with
 * {@link #forListener} or {@link #forClient}, runs the clocks itself, and accounts what it holds
 * through a {@link ReceiveShare}. Immutable and thread-safe.
 */
public final class ReceiveLimits {
    /** The option names, for a transport's {@link dev.conduit.spi.TransportProvider#optionNames()}. */
    public static final Set<String> OPTIONS = dev.conduit.internal.socket.ReceiveLimits.OPTIONS;

    private final dev.conduit.internal.socket.ReceiveLimits limits;

    private ReceiveLimits(dev.conduit.internal.socket.ReceiveLimits limits) {
        this.limits = limits;
    }

    /**
     * Reads a listener's limits.
     *
     * @param endpoint the listener's endpoint
     * @param network  whether peers may be on other hosts: then a message times out after 30 s
     *                 unless the endpoint says otherwise
     * @return the limits of the listener's connections; their budget is the listener's own if
     *         the endpoint names one, else the process's
     * @throws IllegalArgumentException if an option is malformed, quoting the endpoint
     */
    public static ReceiveLimits forListener(Endpoint endpoint, boolean network) {
        return new ReceiveLimits(dev.conduit.internal.socket.ReceiveLimits.forListener(endpoint, network));
    }

    /**
     * Reads a client's limits: its time-outs (none by default) and no budget, since a client's
     * memory is bounded by {@code maxFrame} and it chose its server.
     *
     * @param endpoint a client's endpoint
     * @return the limits
     * @throws IllegalArgumentException if an option is malformed, or {@code receiveBudget} (a
     *                                  listener's option) is given
     */
    public static ReceiveLimits forClient(Endpoint endpoint) {
        return new ReceiveLimits(dev.conduit.internal.socket.ReceiveLimits.forClient(endpoint));
    }

    /**
     * How long a peer may send nothing.
     *
     * @return nanoseconds after which a silent peer is disconnected; 0 for never
     */
    public long idleNanos() {
        return limits.idleNanos();
    }

    /**
     * How long one message may take to arrive.
     *
     * @return nanoseconds after which a message whose first byte came but not its last is a
     *         disconnection; 0 for never
     */
    public long frameNanos() {
        return limits.frameNanos();
    }

    /** The budget, or {@code null} for a client's limits. */
    dev.conduit.internal.socket.ReceiveBudget budget() {
        return limits.budget();
    }

    /**
     * Describes the limits for logs.
     *
     * @return the time-outs and whether a budget applies
     */
    @Override
    public String toString() {
        return "ReceiveLimits[idleNanos=" + idleNanos() + ", frameNanos=" + frameNanos() + ", budget="
                + (budget() == null ? "none" : budget().limit()) + "]";
    }
}
