package dev.conduit;

import java.io.IOException;
import java.time.Duration;

/**
 * Something that happened to a connection or at a listener, for an application that wants to
 * know (to log it, count it, or raise an alarm): subscribe with
 * {@link Connection#onEvent(java.util.function.Consumer)} or
 * {@link Listener#onEvent(java.util.function.Consumer)}. Events are handed over on the thread
 * that found what happened, which waits for the subscriber: a subscriber must return quickly
 * and must not call the connection it hears about.
 */
public sealed interface ConnectionEvent {
    /**
     * The endpoint of the connection or listener this happened to.
     *
     * @return the endpoint, as the connection or listener names it
     */
    Endpoint endpoint();

    /**
     * A connection was made: a listener handed one out ({@code reconnects} 0), or a connection
     * with {@code ?reconnect=true} is back after a loss ({@code reconnects}: how many times now).
     *
     * @param endpoint   the listener's or the connection's endpoint
     * @param connection how the new connection names itself (its {@code toString()})
     * @param reconnects how many times the connection has come back, 0 for a new one
     */
    record Connected(Endpoint endpoint, String connection, long reconnects) implements ConnectionEvent {
    }

    /**
     * The connection ended: the peer closed it or it was lost ({@code byThisSide} false, with the
     * failure that showed it), or the application closed it ({@code byThisSide} true, no reason).
     * A connection with {@code ?reconnect=true} reports each connection it loses, and then
     * {@link Reconnecting}.
     *
     * @param endpoint   the connection's endpoint
     * @param byThisSide whether this side's {@code close} ended it
     * @param reason     what showed the loss, or {@code null} for a close by this side
     */
    record Disconnected(Endpoint endpoint, boolean byThisSide, IOException reason) implements ConnectionEvent {
    }

    /**
     * A connection with {@code ?reconnect=true} is about to wait, then dial again.
     *
     * @param endpoint    the connection's endpoint
     * @param attempt     the attempt about to be made since the loss, from 1
     * @param delay       how long it waits before dialing
     * @param lastFailure what ended the connection, or failed the last attempt
     */
    record Reconnecting(Endpoint endpoint, int attempt, Duration delay, IOException lastFailure)
            implements ConnectionEvent {
    }

    /**
     * A handshake failed: at a listener, a client's (authkey, session hello, WebSocket upgrade)
     * and the client was dropped; on a connection with {@code ?reconnect=true}, its own on an
     * attempt to come back.
     *
     * @param endpoint the listener's or the connection's endpoint
     * @param reason   what failed
     */
    record HandshakeRefused(Endpoint endpoint, IOException reason) implements ConnectionEvent {
    }

    /**
     * A frame longer than {@code maxFrame} was refused: one the peer announced ({@code incoming},
     * which ends the connection) or one this side tried to send (nothing was sent).
     *
     * @param endpoint the connection's endpoint
     * @param incoming whether the peer announced it
     * @param length   the frame's length
     * @param maximum  the {@code maxFrame} it exceeded
     */
    record FrameTooLong(Endpoint endpoint, boolean incoming, long length, long maximum) implements ConnectionEvent {
    }
}
