package dev.conduit.internal.socket;

import dev.conduit.Endpoint;
import dev.conduit.internal.Options;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a stream connection may cost its receiving side, read once from the endpoint's options:
 * how long its peer may stay silent ({@code ?idleTimeout=}), how long a frame may take from its
 * first byte to its last ({@code ?frameTimeout=}), and the budget its partial frames share with
 * other connections ({@code ?receiveBudget=}). See docs/limits.md.
 *
 * @param idleNanos  a peer that sends nothing for this long is disconnected; 0: never
 * @param frameNanos a frame whose last byte has not come this long after its first is a
 *                   disconnection; 0: never
 * @param budget     shared with the other connections, or null (a client's connection)
 */
public record ReceiveLimits(long idleNanos, long frameNanos, ReceiveBudget budget) {
    /** Option: how long a peer may send nothing, e.g. {@code 5m}; {@code 0} never times out. */
    public static final String IDLE_TIMEOUT = "idleTimeout";
    /** Option: how long one frame may take to arrive, e.g. {@code 30s}; {@code 0} never times out. */
    public static final String FRAME_TIMEOUT = "frameTimeout";
    /** Option: a listener's own budget for partly received frames, e.g. {@code 64m}. */
    public static final String RECEIVE_BUDGET = "receiveBudget";
    /** The options above, for a transport's {@code optionNames}. */
    public static final Set<String> OPTIONS = Set.of(IDLE_TIMEOUT, FRAME_TIMEOUT, RECEIVE_BUDGET);
    /**
     * A network listener's frame time-out: a peer that stalls in the middle of a frame for half a
     * minute is broken or hostile (a 16 MiB frame at 1 Mbit/s takes about 2 minutes, so slow links
     * may need more), and the bytes it holds are freed.
     */
    public static final long NETWORK_FRAME_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** The longest time-out accepted: a day. */
    static final long MAX_TIMEOUT_NANOS = TimeUnit.DAYS.toNanos(1);
    /** No time-out and no budget: what a connection made before these options existed gets. */
    public static final ReceiveLimits NONE = new ReceiveLimits(0, 0, null);

    /**
     * @param endpoint the listener's endpoint
     * @param network  whether peers may be on other hosts ({@code tcp://}): then a frame times out
     *                 after {@link #NETWORK_FRAME_TIMEOUT_NANOS} unless the endpoint says otherwise
     * @return the limits of the listener's connections; their budget is the listener's own if
     *         the endpoint names one, else the process's
     * @throws IllegalArgumentException if an option is malformed
     */
    public static ReceiveLimits forListener(Endpoint endpoint, boolean network) {
        long budget = Options.size(endpoint, RECEIVE_BUDGET, 0, 1, Long.MAX_VALUE);
        return new ReceiveLimits(timeout(endpoint, IDLE_TIMEOUT, 0),
                timeout(endpoint, FRAME_TIMEOUT, network ? NETWORK_FRAME_TIMEOUT_NANOS : 0),
                budget == 0 ? ReceiveBudget.PROCESS : new ReceiveBudget(budget));
    }

    /**
     * @param endpoint a client's endpoint
     * @return the time-outs it names (none by default), without a budget: a client's memory is
     *         bounded by {@code maxFrame}, and it chose its server
     * @throws IllegalArgumentException if an option is malformed, or a budget is named
     */
    public static ReceiveLimits forClient(Endpoint endpoint) {
        Options.refuse(endpoint, RECEIVE_BUDGET, "a listener's");
        long idle = timeout(endpoint, IDLE_TIMEOUT, 0);
        long frame = timeout(endpoint, FRAME_TIMEOUT, 0);
        return idle == 0 && frame == 0 ? NONE : new ReceiveLimits(idle, frame, null);
    }

    private static long timeout(Endpoint endpoint, String name, long defaultNanos) {
        return Options.durationNanos(endpoint, name, defaultNanos, TimeUnit.MILLISECONDS.toNanos(1),
                MAX_TIMEOUT_NANOS);
    }

    /** @return whether any clock runs */
    boolean timed() {
        return idleNanos > 0 || frameNanos > 0;
    }
}
