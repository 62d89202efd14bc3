package dev.conduit.spi.support;

import dev.conduit.internal.socket.ReceiveBudget;

/**
 * One connection's share of its listener's receive budget ({@link ReceiveLimits}): what it holds
 * now in partly received messages. When all the shares together pass the budget, the one
 * holding the most is evicted ({@link #evict}), on whichever connection's thread accounted
 * last. A client's limits have no budget: then accounting costs nothing and nothing is evicted.
 * A transport's connection makes one and extends it only with how it closes itself.
 */
public abstract class ReceiveShare {
    private final Share share;

    /**
     * Makes the share, holding nothing.
     *
     * @param limits      the connection's limits
     * @param description the connection's endpoint and peer, for the log line of an eviction
     */
    protected ReceiveShare(ReceiveLimits limits, String description) {
        this.share = new Share(limits.budget(), description);
    }

    /**
     * Records that the connection now holds {@code held} bytes of partial messages; past the
     * budget, the greediest share is evicted (perhaps this one). Called by the connection's
     * receiving side, under no lock that evicting another connection could need.
     *
     * @param held the bytes held now, 0 or more
     */
    public final void account(long held) {
        share.account(held);
    }

    /** Gives the share back, for good, when the connection closes. Any thread; idempotent. */
    public final void release() {
        share.release();
    }

    /**
     * Names the connection in log lines.
     *
     * @return the description given to the constructor
     */
    public final String describe() {
        return share.describe();
    }

    /**
     * Closes the connection because it held the most when the budget was passed; its receiver
     * is then told {@code why}. Must not block: it may be called on another connection's
     * receiving thread.
     *
     * @param why what the receiver will be told, from {@code ": receive: "} on
     */
    protected abstract void evict(String why);

    private final class Share extends ReceiveBudget.Share {
        Share(ReceiveBudget budget, String description) {
            super(budget, description);
        }

        @Override
        public void evict(String why) {
            ReceiveShare.this.evict(why);
        }
    }
}
