package dev.conduit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link Connection} that carries values of type {@code T}, each encoded by a {@link Codec} as
 * one message: {@code conn.typed(Codec.utf8())}. Every call behaves as the connection's call of
 * the same name (blocking, threads, time-outs, closing), with values in place of bytes.
 *
 * <p>A message that does not decode is consumed and reported as a {@link CodecException} naming
 * the endpoint, the call, the message's length and the codec; the connection stays open, and the
 * next call goes on with the next message. Encoding errors are the codec's own exceptions.
 *
 * @param <T> the type of the values
 */
public final class TypedConnection<T> implements AutoCloseable {
    private final Connection connection;
    private final Codec<T> codec;

    TypedConnection(Connection connection, Codec<T> codec) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /**
     * The connection this view sends and receives through. Never blocks.
     *
     * @return the connection underneath, for raw messages; never {@code null}
     */
    public Connection connection() {
        return connection;
    }

    /**
     * The codec this view encodes and decodes with. Never blocks.
     *
     * @return the codec given to {@link Connection#typed}, never {@code null}
     */
    public Codec<T> codec() {
        return codec;
    }

    /**
     * Sends {@code value}'s encoding as one message, as {@link Connection#send(byte[])}: blocks
     * while the peer is full; any thread may call it.
     *
     * @param value the value to send, never {@code null}
     * @throws NullPointerException     if {@code value} is {@code null}
     * @throws IllegalStateException    if the codec's {@code encode} returned {@code null}
     * @throws FrameTooLongException    if the encoding is longer than {@code maxFrame}; nothing is
     *                                  sent
     * @throws IOException              as {@link Connection#send(byte[])}
     */
    public void send(T value) throws IOException {
        connection.send(encode(value));
    }

    /**
     * Sends {@code value}'s encoding as one message if that can be done without waiting for the
     * peer, as {@link Connection#trySend(byte[])}.
     *
     * @param value the value to send, never {@code null}
     * @return {@code true} if it was sent, {@code false} if the peer is full and nothing was sent
     * @throws NullPointerException     if {@code value} is {@code null}
     * @throws IllegalStateException    if the codec's {@code encode} returned {@code null}
     * @throws FrameTooLongException    if the encoding is longer than {@code maxFrame}; nothing is
     *                                  sent
     * @throws IOException              as {@link Connection#trySend(byte[])}
     */
    public boolean trySend(T value) throws IOException {
        return connection.trySend(encode(value));
    }

    /**
     * Queues {@code value}'s encoding as one message, as {@link Connection#write(byte[])}: it
     * goes out at the latest on {@link #flush()}.
     *
     * @param value the value to write, never {@code null}
     * @throws NullPointerException     if {@code value} is {@code null}
     * @throws IllegalStateException    if the codec's {@code encode} returned {@code null}
     * @throws FrameTooLongException    if the encoding is longer than {@code maxFrame}; nothing is
     *                                  written
     * @throws IOException              as {@link Connection#write(byte[])}
     */
    public void write(T value) throws IOException {
        connection.write(encode(value));
    }

    /**
     * Sends everything written so far, as {@link Connection#flush()}: blocks while the peer is
     * full.
     *
     * @throws IOException as {@link Connection#flush()}
     */
    public void flush() throws IOException {
        connection.flush();
    }

    /**
     * As {@link Connection#receive()}, decoded: blocks until a whole message arrives.
     *
     * @return the value, never {@code null}
     * @throws CodecException if the message does not decode (it is consumed)
     * @throws IOException    as {@link Connection#receive()}
     */
    public T receive() throws IOException {
        return decode(connection.receive(), "receive");
    }

    /**
     * As {@link Connection#receive(Duration)}, decoded.
     *
     * @param timeout how long to wait; zero or negative means no wait
     * @return the value, or {@code null} if none arrived in time
     * @throws CodecException if the message does not decode (it is consumed)
     * @throws IOException    as {@link Connection#receive()}
     */
    public T receive(Duration timeout) throws IOException {
        byte[] message = connection.receive(timeout);
        return message == null ? null : decode(message, "receive");
    }

    /**
     * As {@link Connection#tryReceive()}, decoded.
     *
     * @return the value, or {@code null} if no whole message is here
     * @throws CodecException if the message does not decode (it is consumed)
     * @throws IOException    as {@link Connection#receive()}
     */
    public T tryReceive() throws IOException {
        byte[] message = connection.tryReceive();
        return message == null ? null : decode(message, "tryReceive");
    }

    /**
     * As {@link Connection#poll(MessageHandler, int)}: decodes each message where it lies (no
     * copy for zero-copy transports, beyond what the codec makes) and hands the value over.
     * Never blocks.
     *
     * @param handler called on this thread with each value, in order
     * @param limit   the most values to hand over, at least 1
     * @return how many values were handled; {@code 0} if no message was here
     * @throws CodecException           if a message does not decode; it is consumed, and the
     *                                  values before it were handled
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws IOException              as {@link Connection#poll(MessageHandler, int)}
     */
    public int poll(Consumer<? super T> handler, int limit) throws IOException {
        return poll(handler, limit, Duration.ZERO);
    }

    /**
     * As {@link #poll(Consumer, int)}, first waiting at most {@code timeout} for a message if none
     * is here, as {@link Connection#poll(MessageHandler, int, Duration)}.
     *
     * @param handler called on this thread with each value, in order
     * @param limit   the most values to hand over, at least 1
     * @param timeout how long to wait for the first message; zero or negative means no wait
     * @return how many values were handled; {@code 0} if none arrived in time
     * @throws CodecException           as {@link #poll(Consumer, int)}
     * @throws IllegalArgumentException if {@code limit < 1}
     * @throws IOException              as {@link Connection#poll(MessageHandler, int, Duration)}
     */
    public int poll(Consumer<? super T> handler, int limit, Duration timeout) throws IOException {
        Objects.requireNonNull(handler, "handler");
        try {
            return connection.poll(view -> handler.accept(decodeUnchecked(view, "poll")), limit, timeout);
        } catch (UncheckedCodecException e) {
            throw e.getCause();
        }
    }

    /**
     * As {@link Connection#onMessage}: a virtual thread decodes each message and hands the value
     * to {@code handler}. A message that does not decode ends the loop like a throwing handler:
     * {@code onError} gets the {@link CodecException}. Never blocks.
     *
     * @param handler called on the loop's thread with each value, in order
     * @param onError called once, on the loop's thread, with what ended the loop, unless this
     *                side closed the connection
     * @return the loop's thread, for joining
     * @throws IllegalStateException if a loop is already running on the connection
     */
    public Thread onMessage(Consumer<? super T> handler, Consumer<? super Throwable> onError) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onError, "onError");
        return connection.onMessage(view -> handler.accept(decodeUnchecked(view, "onMessage")),
                failure -> onError.accept(failure instanceof UncheckedCodecException e ? e.getCause() : failure));
    }

    /**
     * Whether the connection underneath is still usable, as {@link Connection#isOpen()}.
     *
     * @return {@code false} once it was closed or found lost
     */
    public boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * The connection's endpoint, as {@link Connection#endpoint()}.
     *
     * @return the endpoint, with any port or path resolved
     */
    public Endpoint endpoint() {
        return connection.endpoint();
    }

    /** Closes the connection underneath; idempotent. */
    @Override
    public void close() throws IOException {
        connection.close();
    }

    private byte[] encode(T value) {
        byte[] bytes = codec.encode(Objects.requireNonNull(value, "value"));
        if (bytes == null) {
            throw new IllegalStateException(codec.description() + ": encode returned null for " + value);
        }
        return bytes;
    }

    private T decode(byte[] message, String call) throws CodecException {
        return decode(ByteBuffer.wrap(message).asReadOnlyBuffer(), call);
    }

    private T decode(ByteBuffer message, String call) throws CodecException {
        int length = message.remaining();
        try {
            T value = codec.decode(message);
            if (value == null) {
                throw new CodecException("the codec returned null");
            }
            return value;
        } catch (CodecException | RuntimeException e) {
            throw new CodecException(connection.endpoint() + ": " + call + ": cannot decode a message of " + length
                    + " bytes as " + codec.description() + ": " + e.getMessage(), e);
        }
    }

    private T decodeUnchecked(ByteBuffer message, String call) {
        try {
            return decode(message, call);
        } catch (CodecException e) {
            throw new UncheckedCodecException(e);
        }
    }

    /** Carries a {@link CodecException} out of a {@link MessageHandler}, which cannot throw it. */
    private static final class UncheckedCodecException extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        UncheckedCodecException(CodecException cause) {
            super(cause);
        }

        @Override
        public synchronized CodecException getCause() {
            return (CodecException) super.getCause();
        }
    }
}
