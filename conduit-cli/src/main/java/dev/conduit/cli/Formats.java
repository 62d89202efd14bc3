package dev.conduit.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How the commands write a message as one line of text and read one back: {@code text},
 * {@code hex} or {@code base64}. Every format is a round trip: {@code decode(encode(m))}
 * returns the bytes of {@code m}.
 *
 * <p>{@code text} is UTF-8 (malformed input becomes U+FFFD on output). So that one message is
 * always one line, a backslash is written as {@code \\}, a line feed as {@code \n} and a
 * carriage return as {@code \r}; reading undoes exactly those escapes and keeps any other
 * backslash as it is, so {@code C:\tmp} reads as written.
 */
final class Formats {
    private static final HexFormat LOWER_HEX = HexFormat.of();

    private Formats() {
    }

    /** The line formats of {@code --format}. */
    enum Format {
        /** UTF-8 with {@code \\}, {@code \n} and {@code \r} escapes. */
        TEXT,
        /** Lowercase hexadecimal, two digits a byte. */
        HEX,
        /** Standard base64 (RFC 4648, with padding). */
        BASE64;

        /** @return the name as written on the command line */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * @param message the message, from its position to its limit; the position is not changed
         * @return the message as one line, without a line terminator
         */
        String encode(ByteBuffer message) {
            byte[] bytes = new byte[message.remaining()];
            message.get(message.position(), bytes);
            return encode(bytes);
        }

        /**
         * @param message the message
         * @return the message as one line, without a line terminator
         */
        String encode(byte[] message) {
            return switch (this) {
                case TEXT -> escape(new String(message, StandardCharsets.UTF_8));
                case HEX -> LOWER_HEX.formatHex(message);
                case BASE64 -> Base64.getEncoder().encodeToString(message);
            };
        }

        /**
         * @param line one line as {@link #encode} writes it (no line terminator)
         * @return the message's bytes
         * @throws IllegalArgumentException naming the format and the bad input, if it is not valid
         */
        byte[] decode(String line) {
            return switch (this) {
                case TEXT -> unescape(line).getBytes(StandardCharsets.UTF_8);
                case HEX -> decodeHex(line);
                case BASE64 -> decodeBase64(line);
            };
        }
    }

    /** Reads {@code --format} values: the names in any case. */
    static final class FormatConverter implements ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format f : Format.values()) {
                if (f.toString().equalsIgnoreCase(value)) {
                    return f;
                }
            }
            throw new TypeConversionException("'" + value + "' (expected text, hex or base64)");
        }
    }

    /**
     * @param text any text
     * @return the text with {@code \} as {@code \\}, LF as {@code \n} and CR as {@code \r}
     */
    static String escape(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = switch (c) {
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                default -> null;
            };
            if (replacement != null && sb == null) {
                sb = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (sb != null) {
                if (replacement != null) {
                    sb.append(replacement);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? text : sb.toString();
    }

    /**
     * Undoes {@link #escape}; a backslash before any other character, or at the end, stays.
     *
     * @param line escaped text
     * @return the text
     */
    static String unescape(String line) {
        int first = line.indexOf('\\');
        if (first < 0) {
            return line;
        }
        StringBuilder sb = new StringBuilder(line.length()).append(line, 0, first);
        for (int i = first; i < line.length(); i++) {
            char c = line.charAt(i);
            char next = i + 1 < line.length() ? line.charAt(i + 1) : 0;
            if (c == '\\' && (next == '\\' || next == 'n' || next == 'r')) {
                sb.append(next == 'n' ? '\n' : next == 'r' ? '\r' : '\\');
                i++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static byte[] decodeHex(String line) {
        String digits = line.strip();
        if (digits.length() % 2 != 0) {
            throw new IllegalArgumentException("invalid hex '" + abbreviate(digits) + "': odd number of digits ("
                    + digits.length() + "; expected two per byte)");
        }
        for (int i = 0; i < digits.length(); i++) {
            if (!HexFormat.isHexDigit(digits.charAt(i))) {
                throw new IllegalArgumentException("invalid hex '" + abbreviate(digits) + "': '" + digits.charAt(i)
                        + "' at index " + i + " is not a hex digit (expected 0-9, a-f or A-F)");
            }
        }
        return LOWER_HEX.parseHex(digits);
    }

    private static byte[] decodeBase64(String line) {
        String text = line.strip();
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid base64 '" + abbreviate(text) + "': " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
