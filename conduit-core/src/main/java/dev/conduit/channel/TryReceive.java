package dev.conduit.channel;

/**
 * What {@link Channel.Receiver#tryReceive} found, for a {@code switch}:
 *
 * <pre>{@code
 * switch (receiver.tryReceive()) {
 *     case TryReceive.Received<Event>(Event e) -> handle(e);
 *     case TryReceive.Empty<Event> empty -> doOtherWork();
 *     case TryReceive.Closed<Event> closed -> stop();
 * }
 * }</pre>
 *
 * @param <T> the channel's value type
 */
public sealed interface TryReceive<T> {
    /**
     * The next value, now taken from the channel.
     *
     * @param <T>   the channel's value type
     * @param value the value, never {@code null}
     */
    record Received<T>(T value) implements TryReceive<T> {
    }

    /**
     * Nothing is there now, but senders remain; also what a thread interrupted while waiting
     * for the channel's lock gets (its interrupt status set again, nothing taken).
     *
     * @param <T> the channel's value type
     */
    record Empty<T>() implements TryReceive<T> {
    }

    /**
     * Every sender has closed and every value has been taken, or the receiver has closed.
     *
     * @param <T> the channel's value type
     */
    record Closed<T>() implements TryReceive<T> {
    }
}
