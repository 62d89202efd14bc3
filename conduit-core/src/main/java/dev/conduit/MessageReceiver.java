package dev.conduit;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * The receiving half of a connection: each call yields one whole message, in the order the
 * peer sent them.
 *
 * <p><b>Threads.</b> One thread at a time receives; calls from several threads are serialised
 * and each message goes to exactly one of them. While an {@link #onMessage} loop runs, the
 * other receive calls throw {@link IllegalStateException}.
 *
 * <p><b>Empty is not closed.</b> The non-blocking and timed calls return {@code null} (or
 * {@code 0}) when no message is there yet. When the peer has closed, every message it sent
 * before closing is still delivered; only then do the calls throw
 * {@link ConnectionClosedException}, and they keep throwing it.
 */
public interface MessageReceiver extends AutoCloseable {
    /**
     * Blocks until a whole message arrives.
     *
     * @return the message, never {@code null}
     * @throws ConnectionClosedException if the peer closed (after its messages were received),
     *                                   died, or this side closed
     * @throws FrameTooLongException     if the peer declared a message above {@code maxFrame};
     *                                   the connection is then closed
     * @throws IOException               for other transport failures
     */
    byte[] receive() throws IOException;

    /**
     * Waits at most {@code timeout} for a whole message.
     *
     * @param timeout how long to wait; zero or negative means no wait, as {@link #tryReceive()}
     * @return the message, or {@code null} if none arrived in time
     * @throws IOException as {@link #receive()}
     */
    byte[] receive(Duration timeout) throws IOException;

    /**
     * Returns a message if a whole one is already here; never blocks. Bytes of a message that
     * has only partly arrived are kept for the next call.
     *
     * @return the message, or {@code null} if no whole message is here
     * @throws IOException as {@link #receive()}
     */
    byte[] tryReceive() throws IOException;

    /**
     * As {@link #receive()}, decoding the message as UTF-8 (malformed input becomes U+FFFD).
     *
     * @return the message as a string, never {@code null}
     * @throws IOException as {@link #receive()}
     */
    default String receiveString() throws IOException {
        return Utf8.decode(receive());
    }

    /**
     * As {@link #receive(Duration)}, decoding the message as UTF-8.
     *
     * @param timeout how long to wait; zero or negative means no wait
     * @return the message as a string, or {@code null} if none arrived in time
     * @throws IOException as {@link #receive()}
     */
    default String receiveString(Duration timeout) throws IOException {
        return Utf8.decode(receive(timeout));
    }

    /**
     * Whether the message this receiver handed out last, by any of its calls or to an
     * {@link #onMessage} handler, was sent as text: a WebSocket text frame ({@code ws:},
     * {@code wss:}). Every other transport carries bytes only and answers {@code false}, as does
     * a receiver that has handed out nothing yet. Never blocks; costs those transports nothing.
     *
     * <p>Exact for the thread that received the message, until that thread or another receives
     * again: ask right after {@code receive} returns, or inside the handler. With
     * {@link #receiveAsync()} and {@link #asPublisher()}, which receive on threads of their own,
     * the answer may already belong to a later message.
     *
     * @return {@code true} if the last message was text, {@code false} if binary or if the
     *         transport does not tell
     */
    default boolean lastReceivedWasText() {
        return false;
    }

    /**
     * Hands up to {@code limit} messages that are already here to {@code handler}, without
     * blocking and, where the transport allows it, without copying: each view is valid only
     * during its call. An exception from the handler propagates; the message it was handling
     * counts as consumed.
     *
     * @param handler called on this thread with each message, in order
     * @param limit   the most messages to hand over, at least 1
     * @return how many messages were handled; {@code 0} if none was here
     * @throws IllegalArgumentException  if {@code limit < 1}
     * @throws ConnectionClosedException if the connection is closed and no message remained
     *                                   to hand over (a call that handled some returns their
     *                                   count; the next call throws)
     * @throws IOException               as {@link #receive()}
     */
    int poll(MessageHandler handler, int limit) throws IOException;

    /**
     * As {@link #poll(MessageHandler, int)}, but first waits at most {@code timeout} for a
     * message if none is here: the zero-copy counterpart of {@link #receive(Duration)}, for a
     * receiving loop that must not allocate. Blocks; the wait is the transport's own (for
     * {@code shm:} a spin, then a futex sleep).
     *
     * @param handler called on this thread with each message, in order
     * @param limit   the most messages to hand over, at least 1
     * @param timeout how long to wait for the first message; zero or negative means no wait
     * @return how many messages were handled; {@code 0} if none arrived in time
     * @throws IllegalArgumentException  if {@code limit < 1}
     * @throws ConnectionClosedException as {@link #poll(MessageHandler, int)}, also when the
     *                                   connection closes during the wait
     * @throws IOException               as {@link #receive()}
     */
    int poll(MessageHandler handler, int limit, Duration timeout) throws IOException;

    /**
     * Receives the next message on a virtual thread. Futures are completed in the order they
     * were asked for, each with the next message, or exceptionally with what {@link #receive()}
     * would have thrown. Cancelling a future whose receive has begun does not lose its message:
     * the next future gets it. Never blocks. Receive through one style at a time: futures and
     * direct calls running together get messages in no defined order between them.
     *
     * @return the future
     */
    CompletableFuture<byte[]> receiveAsync();

    /**
     * The messages as a {@link Flow.Publisher}, for one subscriber at a time (a second gets
     * {@code onError} with {@link IllegalStateException}). A virtual thread receives only while
     * the subscriber has requested more, so its {@code request(n)} is the back-pressure: nothing
     * is read ahead. The end of the connection, however it came, is {@code onComplete}; another
     * failure is {@code onError}. After {@code cancel}, a message already being received goes to
     * the next subscriber or {@link #receiveAsync()} future.
     *
     * @return the publisher
     */
    Flow.Publisher<byte[]> asPublisher();

    /**
     * Starts a read loop on a new virtual thread that hands every message to {@code handler}
     * (a view valid during the call, as for {@link #poll}). The loop ends when the connection
     * is closed by this side, silently, or when the connection is lost or the handler throws:
     * then {@code onError} is called exactly once with the cause and the loop ends.
     * A peer's orderly close is reported as a {@link ConnectionClosedException}. Never blocks.
     *
     * @param handler called on the loop's thread with each message, in order
     * @param onError called once, on the loop's thread, with what ended the loop, unless this side
     *                closed the connection
     * @return the loop's thread, for joining
     * @throws IllegalStateException if a loop is already running on this receiver
     */
    Thread onMessage(MessageHandler handler, Consumer<? super Throwable> onError);

    /**
     * Closes this side; the peer sees an orderly close after the messages already sent. Blocked
     * calls in other threads end with {@link ConnectionClosedException}. Idempotent.
     *
     * @throws IOException if releasing the transport's resources failed; the receiver is
     *                     closed all the same
     */
    @Override
    void close() throws IOException;
}
