package dev.conduit;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A two-way message connection: a {@link MessageSender} and a {@link MessageReceiver} over one
 * transport, with per-connection FIFO order in each direction. Sending and receiving may run in
 * different threads at the same time.
 */
public interface Connection extends MessageSender, MessageReceiver {
    /**
     * The endpoint of this connection. Never blocks; any thread may call it.
     *
     * @return the endpoint this connection was made for, with any port or path resolved
     */
    Endpoint endpoint();

    /**
     * Who the peer is, for transports that can ask the kernel. Never blocks; any thread may call
     * it.
     *
     * @return the peer's user and group as the kernel reports them, for local sockets; empty
     *         for transports that cannot tell
     */
    default Optional<PeerCredentials> peerCredentials() {
        return Optional.empty();
    }

    /**
     * Whether this connection is still usable. Never blocks; any thread may call it. A lost
     * connection is found only by a call that fails, so {@code true} does not promise that the
     * next call succeeds.
     *
     * @return {@code false} once this side closed or the connection was found lost
     */
    boolean isOpen();

    /**
     * Sends {@code request} and waits for its reply; many may be in flight on one connection,
     * from any threads. Needs {@code ?protocol=conduit} on both ends. Blocks until the reply
     * arrives or {@code timeout} passes.
     *
     * @param request the request's bytes, at most {@code maxFrame} long; not retained
     * @param timeout how long to wait for the reply; zero or negative means the reply must
     *                already be there, so the call times out at once
     * @return the reply, never {@code null}
     * @throws AckTimeoutException           if no reply came within {@code timeout}; a reply
     *                                       that comes later is dropped
     * @throws ConnectionClosedException     if the connection ends first
     * @throws FrameTooLongException         if {@code request} is longer than {@code maxFrame};
     *                                       nothing is sent
     * @throws UnsupportedOperationException if the connection speaks raw frames
     * @throws IOException                   for other failures
     */
    default byte[] request(byte[] request, Duration timeout) throws IOException {
        throw new UnsupportedOperationException(endpoint() + ": request: needs ?protocol=conduit on both ends");
    }

    /**
     * Serves the peer's requests on a new virtual thread: each goes to {@code handler} with a
     * {@link Reply}. Ends like {@link #onMessage}: silently on a local close, else through
     * {@code onError} once. Needs {@code ?protocol=conduit} on both ends. Never blocks; any
     * thread may call it, while no serving loop runs on this connection.
     *
     * @param handler called on the serving thread with each request, one at a time, in order
     * @param onError called once, on the serving thread, with what ended the loop: the
     *                connection's loss or close by the peer, or the handler's exception
     * @return the serving loop's thread
     * @throws IllegalStateException         if requests are already being served
     * @throws UnsupportedOperationException if the connection speaks raw frames
     */
    default Thread onRequest(RequestHandler handler, Consumer<? super Throwable> onError) {
        throw new UnsupportedOperationException(endpoint() + ": onRequest: needs ?protocol=conduit on both ends");
    }

    /**
     * Wraps this connection to send and receive values through {@code codec}. Never blocks.
     *
     * @param <T>   the type of the values
     * @param codec turns values into messages and back
     * @return a view of this connection that sends and receives values of type {@code T};
     *         closing it closes this connection. Raw calls on this connection stay usable.
     */
    default <T> TypedConnection<T> typed(Codec<T> codec) {
        return new TypedConnection<>(this, codec);
    }

    /**
     * Reads this connection's counters: messages and bytes each way, time blocked in send, frames
     * refused, reconnects. Never blocks and allocates only the returned reading; any thread may
     * call it, at any time, also after close. Reading costs the sending and receiving threads
     * nothing.
     *
     * @return a recent value of each counter (not a consistent snapshot across counters); all
     *         zero for a connection that keeps no counters
     */
    default ConnectionCounters counters() {
        return ConnectionCounters.ZERO;
    }

    /**
     * Subscribes to what happens to this connection: its loss or close
     * ({@link ConnectionEvent.Disconnected}), a refused frame ({@link ConnectionEvent.FrameTooLong}),
     * and, with {@code ?reconnect=true}, its re-dials ({@link ConnectionEvent.Reconnecting},
     * {@link ConnectionEvent.Connected}, {@link ConnectionEvent.HandshakeRefused}). Never blocks;
     * any thread. Events come on the thread that found what happened (see
     * {@link ConnectionEvent}); a subscriber that throws is passed over, its exception given to
     * that thread's uncaught-exception handler.
     *
     * @param subscriber told of each event from now on, until the subscription is closed
     * @return the subscription; this connection's transport reports nothing if it is not one of
     *         Conduit's or built on {@code dev.conduit.spi.support}, and the subscription then
     *         never hears anything
     */
    default Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return () -> { };
    }

    /**
     * Closes both directions in order; see {@link MessageSender#close()}. Idempotent.
     *
     * @throws IOException if releasing resources failed; the connection is closed all the same
     */
    @Override
    void close() throws IOException;
}
