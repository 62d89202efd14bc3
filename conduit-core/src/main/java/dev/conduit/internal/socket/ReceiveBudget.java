package dev.conduit.internal.socket;

import java.util.HashMap;
import java.util.Map;

/**
 * The heap that connections may hold together for frames they have partly received: the arrays
 * a {@link dev.conduit.internal.frame.StreamDecoder} grows for a message longer than its read
 * buffer. Past the budget, the connection holding the most is closed, so whatever peers send,
 * their partial frames cost at most the budget (plus one doubling of the array that crossed it).
 *
 * <p>One budget is shared by every listener of the process that names none
 * ({@link #PROCESS}, a quarter of the maximum heap); {@code ?receiveBudget=} gives a listener its
 * own. Changes come only when an array grows or is handed out (a few times per long frame, never
 * for frames that fit the read buffer), so one lock is cheap. Any thread.
 */
public final class ReceiveBudget {
    /**
     * The budget of listeners that name none: a quarter of the heap, as conduit-websocket's inboxes
     * get a sixteenth. A frame of the default 16 MiB maximum fits it from a 64 MiB heap up.
     */
    public static final ReceiveBudget PROCESS = new ReceiveBudget(Runtime.getRuntime().maxMemory() / 4);

    /** A connection that holds part of the budget (conduit-websocket's connections are ones too). */
    public interface Holder {
        /**
         * Closes the connection because it held the most when the budget was exceeded. Must not
         * block: it may be called on another connection's receiving thread.
         *
         * @param why what its receiver will be told, from {@code ": receive: "} on
         */
        void evict(String why);

        /** @return the connection's endpoint and peer, for the log line */
        String describe();

        /** @return whether what it holds counts; false once closed or evicted */
        boolean counting();

        /** Makes it count no more: it was evicted. Called under the budget's lock, so must not block. */
        void stopCounting();
    }

    /**
     * A connection's share of a budget (or of none): what it holds now, and whether that still
     * counts. The two connections' guards, stream sockets' and WebSocket's, extend it and add
     * only how the connection is closed.
     */
    public abstract static class Share implements Holder {
        private final ReceiveBudget budget;
        private final String description;
        private long accounted;
        private volatile boolean counting = true;

        /**
         * @param budget      the budget, or {@code null} for none (a client's connection)
         * @param description the connection's endpoint and peer, for the log
         */
        protected Share(ReceiveBudget budget, String description) {
            this.budget = budget;
            this.description = description;
        }

        /**
         * Records that the connection now holds {@code held} bytes of partial messages; past the
         * budget, the greediest holder is closed. By the connection's receiving side, under no
         * lock that closing another connection could need.
         */
        public final void account(long held) {
            if (budget != null && held != accounted) {
                accounted = held;
                budget.hold(this, held);
            }
        }

        /** Gives the connection's share back, for good. Any thread; idempotent. */
        public final void release() {
            counting = false;
            if (budget != null) {
                budget.hold(this, 0);
            }
        }

        @Override
        public final String describe() {
            return description;
        }

        @Override
        public final boolean counting() {
            return counting;
        }

        @Override
        public final void stopCounting() {
            counting = false;
        }
    }

    private static final System.Logger LOG = System.getLogger("dev.conduit");

    private final long limit;
    private final Map<Holder, Long> held = new HashMap<>();
    private long total;

    /** @param limit the bytes all holders together may keep; at least 1 */
    public ReceiveBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected >= 1)");
        }
        this.limit = limit;
    }

    /** @return the bytes all holders together may keep */
    public long limit() {
        return limit;
    }

    /** @return the bytes held now */
    public synchronized long total() {
        return total;
    }

    /**
     * Records that {@code holder} now keeps {@code bytes}, and if that takes the total past the
     * budget, evicts holders, greediest first, until it fits. An evicted holder counts no more
     * (its guard reports nothing after that).
     *
     * @param holder the connection
     * @param bytes  the heap it keeps for its partial frame, 0 when none
     */
    public void hold(Holder holder, long bytes) {
        Holder victim;
        long victimHeld;
        long before;
        synchronized (this) {
            if (!holder.counting()) {
                bytes = 0;
            }
            Long old = bytes == 0 ? held.remove(holder) : held.put(holder, bytes);
            total += bytes - (old == null ? 0 : old);
            if (total <= limit) {
                return;
            }
            before = total;
            victim = greediest();
            victimHeld = held.remove(victim);
            total -= victimHeld;
            victim.stopCounting();
        }
        String why = "closed by this side: the receive budget for partly received frames ("
                + limit + " bytes, ?receiveBudget=) was exceeded (" + before + " bytes held), and this"
                + " connection held the most (" + victimHeld + " bytes)";
        LOG.log(System.Logger.Level.WARNING, "{0}: receive budget of {1} bytes for partly received frames exceeded"
                + " ({2} bytes held); closing the connection holding the most ({3} bytes)",
                victim.describe(), Long.toString(limit), Long.toString(before), Long.toString(victimHeld));
        victim.evict(why);
        synchronized (this) {
            if (total <= limit) {
                return;
            }
        }
        hold(holder, held(holder));
    }

    private synchronized long held(Holder holder) {
        return held.getOrDefault(holder, 0L);
    }

    private Holder greediest() {
        Holder most = null;
        long mostBytes = -1;
        for (Map.Entry<Holder, Long> e : held.entrySet()) {
            if (e.getValue() > mostBytes) {
                most = e.getKey();
                mostBytes = e.getValue();
            }
        }
        return most;
    }
}
