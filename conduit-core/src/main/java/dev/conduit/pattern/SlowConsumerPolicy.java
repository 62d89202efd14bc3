package dev.conduit.pattern;

/** What a {@link Broadcast} does when a member's outbox is full as a message is published. */
public enum SlowConsumerPolicy {
    /** The publisher waits until the member has room: the slowest such member sets the pace. */
    BLOCK,
    /** The member's oldest queued message is dropped to make room; counted and reported. */
    DROP_OLDEST,
    /** The member is removed from the group and its sender closed; counted and reported. */
    DISCONNECT
}
