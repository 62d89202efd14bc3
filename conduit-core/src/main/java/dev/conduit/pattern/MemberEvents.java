package dev.conduit.pattern;

/**
 * What a {@link Broadcast} or {@link Distributor} reports about its members. Each method is
 * called on the thread where the event happened (a publisher's, or the member's own), so it
 * should return quickly; what it throws goes to that thread's caller or uncaught-exception
 * handler. The defaults do nothing.
 */
public interface MemberEvents {
    /**
     * A message was dropped from {@code member}'s full outbox ({@link SlowConsumerPolicy#DROP_OLDEST}),
     * on the publisher's thread.
     *
     * @param member the slow member, still in the group
     */
    default void dropped(Member member) {
    }

    /**
     * {@code member} was removed because its outbox was full ({@link SlowConsumerPolicy#DISCONNECT}),
     * on the publisher's thread; its sender is being closed.
     *
     * @param member the slow member, no longer in the group
     */
    default void disconnected(Member member) {
    }

    /**
     * Sending to {@code member} failed (its peer closed or died, an acknowledgement timed out),
     * so it was removed and its sender closed; called on the member's thread.
     *
     * @param member  the failed member, no longer in the group
     * @param failure what its sender threw
     */
    default void failed(Member member, Throwable failure) {
    }
}
