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
     * Encodes {@code value} as the bytes of one message. Called by any sending thread.
     *
     * @param value a value, never {@code null}
     * @return its bytes: a new array or one the caller may not keep, never {@code null}; the
     *         caller sends them at once
     */
    byte[] encode(T value);

    /**
     * Decodes one message into a value. Called by the receiving thread.
     *
     * @param message the bytes of one message, from its position to its limit; read-only and
     *                valid only during the call (it may be a view into shared memory), so a
     *                decoder must copy what it keeps
     * @return the value, never {@code null}
     * @throws CodecException if the bytes are not a valid encoding, saying what is wrong
     */
    T decode(ByteBuffer message) throws CodecException;

    /**
     * Names what this codec decodes, for error messages.
     *
     * @return a short phrase, e.g. {@code UTF-8 text}; by default the class's simple name
     */
    default String description() {
        return getClass().getSimpleName();
    }

    /**
     * The codec for raw bytes.
     *
     * @return the identity codec: a message is its bytes (sent as given, copied out on receive)
     */
    static Codec<byte[]> bytes() {
        return BuiltinCodecs.BYTES;
    }

    /**
     * The codec for text as UTF-8. Encoding is {@link String#getBytes(java.nio.charset.Charset)},
     * so an unpaired surrogate is sent as {@code ?}.
     *
     * @return UTF-8 text; decoding is strict: a malformed or truncated sequence is a
     *         {@link CodecException} naming its offset, never a replacement character
     */
    static Codec<String> utf8() {
        return BuiltinCodecs.UTF_8;
    }
}
