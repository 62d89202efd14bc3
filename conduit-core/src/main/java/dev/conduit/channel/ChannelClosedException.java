package dev.conduit.channel;

import java.io.Serial;

/**
 * A {@link Channel} can carry no more values: on the receiving side, every sender has closed
 * and the values they sent have been taken; on a sending side, the receiver has closed, or this
 * sender has.
 */
public final class ChannelClosedException extends IllegalStateException {
    @Serial
    private static final long serialVersionUID = 1L;

    ChannelClosedException(String message) {
        super(message);
    }
}
