package dev.conduit.pattern;

import dev.conduit.MessageSender;

/**
 * One member of a {@link Broadcast} or a {@link Distributor}: a sender with a bounded outbox and a
 * virtual thread of its own that sends what the outbox holds. Every method may be called from any
 * thread and never blocks.
 */
public interface Member {
    /**
     * A name for messages and logs. Never blocks.
     *
     * @return the connection's endpoint with secrets hidden, for a {@link dev.conduit.Connection};
     *         else the sender's {@code toString()}
     */
    String name();

    /**
     * The sender this member sends through. Never blocks. The group owns it: do not close it or
     * send on it yourself while the member is in the group.
     *
     * @return the sender given to {@code join}
     */
    MessageSender sender();

    /**
     * How many messages this member's sender has sent (for an acknowledged session connection:
     * acknowledged). Never blocks.
     *
     * @return the count since the member joined
     */
    long sent();

    /**
     * How many messages were dropped from this member's outbox because it was full (policy
     * {@link SlowConsumerPolicy#DROP_OLDEST}). Never blocks.
     *
     * @return the count since the member joined; always 0 in a {@link Distributor}
     */
    long dropped();

    /**
     * How many messages wait in this member's outbox. Never blocks.
     *
     * @return the number queued now
     */
    int queued();

    /**
     * Whether the member is still in its group. Never blocks.
     *
     * @return {@code false} once it left, was disconnected as too slow, failed, or the group closed
     */
    boolean isActive();

    /**
     * Leaves the group: it gives this member no more messages; what its outbox holds is still sent
     * (in a distributor, given to other members if that fails), then its sender is closed. Never
     * blocks; idempotent.
     */
    void leave();
}
