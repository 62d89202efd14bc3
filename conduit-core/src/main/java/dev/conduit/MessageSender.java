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
 * <p><b>Batching.</b> {@code write} queues a message in the connection's outgoing buffer,
 * usually without a system call; {@link #flush()} sends everything written, in one system call
 * where the transport can. Written and sent messages keep the order of the calls, and a
 * {@code send} or {@code trySend} sends everything written before it first. Writing many
 * small messages and flushing once costs far less than sending each:
 * <pre>{@code
 * for (Event e : batch) {
 *     connection.write(e.bytes());   // queued; a system call only when the buffer is full
 * }
 * connection.flush();                // one write(2) for the lot
 * }</pre>
 * Transports that hand whole messages to a queue ({@code mem:}, a child's stdin) send
 * written messages at once; their {@code flush} has nothing to do.
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
     * @param message the message: all of the segment's bytes, at most {@code maxFrame}
     * @throws ConnectionClosedException if the connection is closed, by either side, before or
     *                                   while sending
     * @throws FrameTooLongException     if the message is longer than {@code maxFrame}
     * @throws IOException               for other transport failures
     */
    void send(MemorySegment message) throws IOException;

    /**
     * Sends the bytes between the buffer's position and limit; see {@link #send(MemorySegment)}.
     *
     * @param message the message: its bytes from position to limit, at most {@code maxFrame}
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(ByteBuffer message) throws IOException {
        send(MemorySegment.ofBuffer(message));
    }

    /**
     * Sends the whole array; see {@link #send(MemorySegment)}.
     *
     * @param message the message: all of the array, at most {@code maxFrame} bytes
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(byte[] message) throws IOException {
        send(MemorySegment.ofArray(message));
    }

    /**
     * Sends the string encoded as UTF-8; see {@link #send(MemorySegment)}.
     *
     * @param message the message: its text as UTF-8 (an unpaired surrogate becomes {@code ?}),
     *                at most {@code maxFrame} bytes
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default void send(CharSequence message) throws IOException {
        send(Utf8.encode(message));
    }

    /**
     * Sends {@code message} whole if that can be done without waiting for the peer.
     *
     * @param message the message: all of the segment's bytes, at most {@code maxFrame}
     * @return {@code true} if the message was sent (it will arrive as if by {@code send}),
     *         {@code false} if the peer is full and nothing of it was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    boolean trySend(MemorySegment message) throws IOException;

    /**
     * As {@link #trySend(MemorySegment)} for the buffer's remaining bytes.
     *
     * @param message the message: its bytes from position to limit, at most {@code maxFrame}
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(ByteBuffer message) throws IOException {
        return trySend(MemorySegment.ofBuffer(message));
    }

    /**
     * As {@link #trySend(MemorySegment)} for the whole array.
     *
     * @param message the message: all of the array, at most {@code maxFrame} bytes
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(byte[] message) throws IOException {
        return trySend(MemorySegment.ofArray(message));
    }

    /**
     * As {@link #trySend(MemorySegment)} for the string encoded as UTF-8.
     *
     * @param message the message: its text as UTF-8 (an unpaired surrogate becomes {@code ?}),
     *                at most {@code maxFrame} bytes
     * @return whether the message was sent
     * @throws IOException as {@link #send(MemorySegment)}
     */
    default boolean trySend(CharSequence message) throws IOException {
        return trySend(Utf8.encode(message));
    }

    /**
     * Queues {@code message} whole behind everything written before it, without a system call
     * when the outgoing buffer has room. When it has not, what is buffered is sent first,
     * blocking while the peer is full as {@link #send(MemorySegment)} does; a message larger
     * than the buffer is then sent through it, possibly all but its last part. Written messages
     * go out at the latest on {@link #flush()}, on the next {@code send} or successful
     * {@code trySend}, or on {@link #close()}. Many threads may write; messages never
     * interleave.
     *
     * @param message the message: all of the segment's bytes, at most {@code maxFrame}
     * @throws ConnectionClosedException if the connection is closed, by either side, before or
     *                                   while writing
     * @throws FrameTooLongException     if the message is longer than {@code maxFrame}; nothing
     *                                   is written
     * @throws IOException               for other transport failures
     */
    void write(MemorySegment message) throws IOException;

    /**
     * Writes the bytes between the buffer's position and limit; see {@link #write(MemorySegment)}.
     *
     * @param message the message: its bytes from position to limit, at most {@code maxFrame}
     * @throws IOException as {@link #write(MemorySegment)}
     */
    default void write(ByteBuffer message) throws IOException {
        write(MemorySegment.ofBuffer(message));
    }

    /**
     * Writes the whole array; see {@link #write(MemorySegment)}.
     *
     * @param message the message: all of the array, at most {@code maxFrame} bytes
     * @throws IOException as {@link #write(MemorySegment)}
     */
    default void write(byte[] message) throws IOException {
        write(MemorySegment.ofArray(message));
    }

    /**
     * Writes the string encoded as UTF-8; see {@link #write(MemorySegment)}.
     *
     * @param message the message: its text as UTF-8 (an unpaired surrogate becomes {@code ?}),
     *                at most {@code maxFrame} bytes
     * @throws IOException as {@link #write(MemorySegment)}
     */
    default void write(CharSequence message) throws IOException {
        write(Utf8.encode(message));
    }

    /**
     * Sends everything written so far, blocking while the peer is full. Returns at once when
     * nothing is buffered.
     *
     * @throws ConnectionClosedException if this side closed, or the connection was found closed
     *                                   while sending
     * @throws IOException               for other transport failures
     */
    void flush() throws IOException;

    /**
     * Closes in order: messages already sent are delivered, and written ones are flushed (for
     * at most a couple of seconds if the peer does not read), then the peer's receive calls end
     * with {@link ConnectionClosedException}. Idempotent; calls blocked in other threads end
     * with {@link ConnectionClosedException}.
     *
     * @throws IOException if releasing the transport's resources failed; the sender is closed
     *                     all the same
     */
    @Override
    void close() throws IOException;
}
