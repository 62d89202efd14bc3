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

    /** @return the connection underneath, for raw messages */
    public Connection connection() {
        return connection;
    }

    /** @return the codec */
    public Codec<T> codec() {
        return codec;
    }

    /** As {@link Connection#send(byte[])}, with the value's encoding. */
    public void send(T value) throws IOException {
        connection.send(encode(value));
    }

    /** As {@link Connection#trySend(byte[])}, with the value's encoding. */
    public boolean trySend(T value) throws IOException {
        return connection.trySend(encode(value));
    }

    /** As {@link Connection#write(byte[])}, with the value's encoding. */
    public void write(T value) throws IOException {
        connection.write(encode(value));
    }

    /** As {@link Connection#flush()}. */
    public void flush() throws IOException {
        connection.flush();
    }

    /**
     * As {@link Connection#receive()}, decoded.
     *
     * @throws CodecException if the message does not decode (it is consumed)
     */
    public T receive() throws IOException {
        return decode(connection.receive(), "receive");
    }

    /**
     * As {@link Connection#receive(Duration)}, decoded.
     *
     * @return the value, or {@code null} if none arrived in time
     * @throws CodecException if the message does not decode (it is consumed)
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
     */
    public T tryReceive() throws IOException {
        byte[] message = connection.tryReceive();
        return message == null ? null : decode(message, "tryReceive");
    }

    /**
     * As {@link Connection#poll(MessageHandler, int)}: decodes each message where it lies (no
     * copy for zero-copy transports, beyond what the codec makes) and hands the value over.
     *
     * @return how many values were handled
     * @throws CodecException if a message does not decode; it is consumed, and the values
     *                        before it were handled
     */
    public int poll(Consumer<? super T> handler, int limit) throws IOException {
        return poll(handler, limit, Duration.ZERO);
    }

    /** As {@link #poll(Consumer, int)}, first waiting at most {@code timeout} for a message. */
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
     * {@code onError} gets the {@link CodecException}.
     */
    public Thread onMessage(Consumer<? super T> handler, Consumer<? super Throwable> onError) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onError, "onError");
        return connection.onMessage(view -> handler.accept(decodeUnchecked(view, "onMessage")),
                failure -> onError.accept(failure instanceof UncheckedCodecException e ? e.getCause() : failure));
    }

    /** @return as {@link Connection#isOpen()} */
    public boolean isOpen() {
        return connection.isOpen();
    }

    /** @return as {@link Connection#endpoint()} */
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
