package dev.conduit;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The codecs {@link Codec#bytes()} and {@link Codec#utf8()} return. */
final class BuiltinCodecs {
    static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(ByteBuffer message) {
            byte[] bytes = new byte[message.remaining()];
            message.get(message.position(), bytes);
            return bytes;
        }

        @Override
        public String description() {
            return "bytes";
        }
    };

    static final Codec<String> UTF_8 = new Codec<>() {
        @Override
        public byte[] encode(String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(ByteBuffer message) throws CodecException {
            ByteBuffer in = message.duplicate();
            try {
                CharBuffer text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(in);
                return text.toString();
            } catch (CharacterCodingException e) {
                throw new CodecException("not UTF-8: bad byte sequence at offset "
                        + (in.position() - message.position()), e);
            }
        }

        @Override
        public String description() {
            return "UTF-8 text";
        }
    };

    private BuiltinCodecs() {
    }
}
