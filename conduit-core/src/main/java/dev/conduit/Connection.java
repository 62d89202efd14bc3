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

    /**
     * Asks the peer to send only messages published with a subject that starts with one of
     * {@code prefixes} ({@link #publish}); this replaces the prefixes asked for before. With no
     * prefixes, the peer sends no message that has a subject; until the first call, it sends
     * everything. Messages sent without a subject ({@code send}, {@code write}) always come.
     * Needs {@code ?protocol=conduit} on both ends. Any thread; calls are applied in the order
     * they send their frame.
     *
     * <p>A prefix matches a subject that starts with it, compared as UTF-8 bytes ({@code ""}
     * matches every subject). A transport with subjects of its own gives the strings its own
     * meaning (NATS subjects with wildcards, when that transport comes), as documented there.
     *
     * <p>Once this returns, no message whose subject matches none of {@code prefixes} is handed
     * to this side's application, also none the peer published before it read the new set (those
     * in flight are dropped here, and acknowledged if they asked for it). A message that matches
     * the new set but not the old one, which the peer passed over before it read the new set, is
     * not sent again.
     *
     * <p>Blocks to send the set, and the first time, for one round trip to learn whether the peer
     * knows subjects (at most 5 s).
     *
     * @param prefixes at most 256, each at most 255 bytes as UTF-8 (empty allowed), together at
     *                 most {@code maxFrame} bytes; the array is not retained
     * @throws IllegalArgumentException      if a prefix is null, too long or not UTF-8 text (an
     *                                       unpaired surrogate), or there are too many
     * @throws UnsupportedOperationException if the connection speaks raw frames, or the peer's
     *                                       session protocol has no subjects (an older
     *                                       Conduit); nothing is sent
     * @throws ConnectionClosedException     if the connection is closed or ends first
     * @throws AckTimeoutException           if the peer did not say within 5 s whether it knows
     *                                       subjects
     * @throws IOException                   for other failures
     */
    default void subscribe(String... prefixes) throws IOException {
        throw new UnsupportedOperationException(endpoint() + ": subscribe: subjects need ?protocol=conduit on both"
                + " ends");
    }

    /**
     * Sends {@code message} with {@code subject} if the peer's subscription
     * ({@link #subscribe}) matches it, or the peer never subscribed; otherwise sends nothing. A
     * peer whose session protocol has no subjects (an older Conduit) gets the message
     * without its subject. Blocks as {@link #send(byte[])} does (with {@code ?ack=true}, until
     * the peer's application took the message), and the first time, for one round trip to learn
     * whether the peer knows subjects (at most 5 s). Any thread. Needs {@code ?protocol=conduit}
     * on both ends.
     *
     * @param subject 1 to 255 bytes as UTF-8; compared with the peer's prefixes byte for byte
     * @param message the message; the subject and one byte count against {@code maxFrame} with
     *                it; not retained
     * @return {@code true} if the message went to the peer, {@code false} if the peer's
     *         subscription passed it over
     * @throws IllegalArgumentException      if the subject is null, empty, longer than 255 bytes
     *                                       or not UTF-8 text (an unpaired surrogate); nothing is sent
     * @throws FrameTooLongException         if {@code 1 + subject + message} bytes exceed
     *                                       {@code maxFrame}; nothing is sent
     * @throws UnsupportedOperationException if the connection speaks raw frames
     * @throws AckTimeoutException           with {@code ?ack=true} as {@code send}, or if the
     *                                       peer did not say within 5 s whether it knows subjects
     * @throws IOException                   as {@link #send(byte[])}
     */
    default boolean publish(String subject, byte[] message) throws IOException {
        throw new UnsupportedOperationException(endpoint() + ": publish: subjects need ?protocol=conduit on both"
                + " ends");
    }

    /**
     * As {@link #publish(String, byte[])} for {@code message} encoded as UTF-8.
     *
     * @param subject 1 to 255 bytes as UTF-8
     * @param message the message's text (an unpaired surrogate becomes {@code ?})
     * @return whether the message went to the peer
     * @throws IOException as {@link #publish(String, byte[])}
     */
    default boolean publish(String subject, CharSequence message) throws IOException {
        return publish(subject, message.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The subject of the message this connection handed out last, as
     * {@link #lastReceivedWasText()} tells its kind: exact for the thread that received it, until
     * a receive on this connection hands out another. Never blocks; makes a new string on each
     * call, and costs receiving nothing.
     *
     * @return the subject the message was published with, or {@code null} if it had none (it was
     *         sent, not published; the connection speaks raw frames; or nothing was received yet)
     */
    default String lastSubject() {
        return null;
    }
}
