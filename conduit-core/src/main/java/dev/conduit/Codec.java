package dev.conduit;

import java.nio.ByteBuffer;

/**
 * Turns values of type {@code T} into message bytes and back, for {@link TypedConnection}.
 * Implementations must be thread-safe (a connection may send from several threads and receive
 * on another) and should be stateless. {@code docs/typed.md} shows a codec for a Java record.
 *
 * @param <T> the type of the values
 */
public interface Codec<T> {
    /**
     * @param value a value, never {@code null}
     * @return its bytes: a new array or one the caller may not keep, never {@code null}; the
     *         caller sends them at once
     */
    byte[] encode(T value);

    /**
     * @param message the bytes of one message, from its position to its limit; read-only and
     *                valid only during the call (it may be a view into shared memory), so a
     *                decoder must copy what it keeps
     * @return the value, never {@code null}
     * @throws CodecException if the bytes are not a valid encoding, saying what is wrong
     */
    T decode(ByteBuffer message) throws CodecException;

    /** @return what the codec decodes, for error messages, e.g. {@code UTF-8 text} */
    default String description() {
        return getClass().getSimpleName();
    }

    /** @return the identity codec: a message is its bytes (copied out on receive) */
    static Codec<byte[]> bytes() {
        return BuiltinCodecs.BYTES;
    }

    /**
     * @return UTF-8 text; decoding is strict: a malformed or truncated sequence is a
     *         {@link CodecException} naming its offset, never a replacement character
     */
    static Codec<String> utf8() {
        return BuiltinCodecs.UTF_8;
    }
}
