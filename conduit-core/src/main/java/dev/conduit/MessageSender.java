package dev.conduit;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The sending half of a connection: each call sends one whole message.
 *
 * <p><b>Threads.</b> Any number of threads may send at once; each message goes out whole,
 * never interleaved with another, and messages from one thread arrive in the order that thread
 * sent them.
 *
 * <p><b>Blocking.</b> {@code send} blocks while the peer (or the transport's buffer) is full:
 * back-pressure, never a silent drop. {@code trySend} never blocks for the peer and returns
 * {@code false} instead; it may wait briefly for another sender to finish its message.
 *
 * <p>A message is at most the connection's {@code maxFrame} bytes (16 MiB unless the endpoint
 * says {@code ?maxFrame=}); a longer one throws {@link FrameTooLongException} and sends
 * nothing. The argument is not retained and its position is not changed.
 */
public interface MessageSender extends AutoCloseable {
    /**
     * Sends {@code message} whole, blocking while the peer is full.
     *
     * @throws ConnectionClosedException if the connection is closed, by either side, before or
     *                                   while sending
     * @throws FrameTooLongException     if the message is longer than {@code maxFrame}
     * @throws IOException               for other transport failures
     */
    void send(MemorySegment message) throws IOException;

    /**
     * Sends the bytes between the buffer's position and limit; see {@link #send(MemorySegment)}.
     *
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(ByteBuffer message) throws IOException {
        send(MemorySegment.ofBuffer(message));
    }

    /**
     * Sends the whole array; see {@link #send(MemorySegment)}.
     *
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(byte[] message) throws IOException {
        send(MemorySegment.ofArray(message));
    }

    /**
     * Sends the string encoded as UTF-8; see {@link #send(MemorySegment)}.
     *
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(CharSequence message) throws IOException {
        send(Utf8.encode(message));
    }

    /**
     * Sends {@code message} whole if that can be done without waiting for the peer.
     *
     * @return {@code true} if the message was sent (it will arrive as if by {@code send}),
     *         {@code false} if the peer is full and nothing of it was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    boolean trySend(MemorySegment message) throws IOException;

    /**
     * As {@link #trySend(MemorySegment)} for the buffer's remaining bytes.
     *
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(ByteBuffer message) throws IOException {
        return trySend(MemorySegment.ofBuffer(message));
    }

    /**
     * As {@link #trySend(MemorySegment)} for the whole array.
     *
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(byte[] message) throws IOException {
        return trySend(MemorySegment.ofArray(message));
    }

    /**
     * As {@link #trySend(MemorySegment)} for the string encoded as UTF-8.
     *
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(CharSequence message) throws IOException {
        return trySend(Utf8.encode(message));
    }

    /**
     * Closes in order: messages already sent are delivered, then the peer's receive calls end
     * with {@link ConnectionClosedException}. Idempotent; calls blocked in other threads end
     * with {@link ConnectionClosedException}.
     *
     * @throws IOException if releasing the transport's resources failed; the sender is closed
     *                     all the same
     */
    @Override
    void close() throws IOException;
}
