package dev.conduit.channel;

/**
 * What {@link Channel.Sender#trySend} did, for a {@code switch}:
 *
 * <pre>{@code
 * switch (sender.trySend(order)) {
 *     case TrySend.Sent<Order> s -> { }
 *     case TrySend.Full<Order>(Order back) -> retryLater(back);
 *     case TrySend.Closed<Order>(Order back) -> discard(back);
 * }
 * }</pre>
 *
 * @param <T> the channel's value type
 */
public sealed interface TrySend<T> {
    /**
     * The value is in the channel.
     *
     * @param <T> the channel's value type
     */
    record Sent<T>() implements TrySend<T> {
    }

    /**
     * A bounded channel had no room, or the thread was interrupted while waiting for the
     * channel's lock (its interrupt status set again); nothing was sent.
     *
     * @param <T>   the channel's value type
     * @param value the value, handed back
     */
    record Full<T>(T value) implements TrySend<T> {
    }

    /**
     * The receiver has closed, or this sender has; nothing was sent.
     *
     * @param <T>   the channel's value type
     * @param value the value, handed back
     */
    record Closed<T>(T value) implements TrySend<T> {
    }
}
