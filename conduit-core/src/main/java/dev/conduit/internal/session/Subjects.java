package dev.conduit.internal.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Subjects on the session protocol: the PUBLISH and SUBSCRIBE frames' bodies, their limits and
 * checks, prefix matching, and the features probe that tells whether a peer knows them.
 *
 * <pre>
 *   SUBSCRIBE  08 u16 count, count x (u8 n, n bytes UTF-8)     the sender's prefixes, replacing the last set
 *   PUBLISH    09 u64 seq, u8 n (1..255), n bytes UTF-8, message     DATA with a subject
 *   features   PING 05 "FEAT" 80 00 00 00   answered by PONG 06 "FEAT" 00 00 00 01 (bit 0: subjects);
 *              a Conduit without features echoes the PING's nonce, query bit set: no features
 * </pre>
 *
 * A PUBLISH's subject counts against {@code maxFrame} with its length byte, so its frame is no
 * longer than a DATA's can be: {@code 1 + n + message <= maxFrame}. A prefix matches a subject
 * whose UTF-8 bytes start with the prefix's, which for well-formed text is the same as the
 * strings' {@code startsWith}.
 */
final class Subjects {
    static final int MAX_SUBJECT_BYTES = 255;
    static final int MAX_PREFIXES = 256;
    /** "FEAT" in ASCII, the high half of a features probe's and its answer's nonce. */
    private static final long MAGIC = 0x46454154L << 32;
    private static final long QUERY = 0x8000_0000L;
    static final int SUBJECTS = 1;
    /** A probe: "FEAT", the query bit. */
    static final long PROBE = MAGIC | QUERY;
    /** What this side answers a probe with: "FEAT" and the features it knows. */
    static final long ANSWER = MAGIC | SUBJECTS;

    private Subjects() {
    }

    /** @return whether {@code nonce} is a features probe or an answer to one */
    static boolean isFeatures(long nonce) {
        return (nonce & 0xFFFF_FFFF_0000_0000L) == MAGIC;
    }

    /** @return the features an answer names; 0 for an echo of the probe (a peer that knows none) */
    static int features(long answer) {
        return (answer & QUERY) != 0 ? 0 : (int) answer & 0x7FFF_FFFF;
    }

    /** @return the nonce a PONG answers a PING of {@code nonce} with: this side's features for a probe */
    static long pong(long nonce) {
        return nonce == PROBE ? ANSWER : nonce;
    }

    /**
     * @return {@code subject} as UTF-8
     * @throws IllegalArgumentException naming {@code where} if it is empty, longer than 255
     *                                  bytes, or holds an unpaired surrogate
     */
    static byte[] encode(String where, String subject) {
        byte[] utf8 = checkedUtf8(where, "subject", subject);
        if (utf8.length == 0 || utf8.length > MAX_SUBJECT_BYTES) {
            throw new IllegalArgumentException(where + ": subject '" + subject + "' of " + utf8.length
                    + " bytes as UTF-8 (expected: 1 to " + MAX_SUBJECT_BYTES + ")");
        }
        return utf8;
    }

    /**
     * @return a SUBSCRIBE frame for {@code prefixes}, at most {@code maxLength} bytes long
     * @throws IllegalArgumentException naming {@code where} if there are more than 256, one is
     *                                  null, longer than 255 bytes or holds an unpaired surrogate,
     *                                  or the frame would be longer than {@code maxLength}
     */
    static byte[] subscribeFrame(String where, long maxLength, String... prefixes) {
        if (prefixes.length > MAX_PREFIXES) {
            throw new IllegalArgumentException(where + ": " + prefixes.length + " prefixes (expected: at most "
                    + MAX_PREFIXES + ")");
        }
        byte[][] utf8 = new byte[prefixes.length][];
        int length = 3;
        for (int i = 0; i < prefixes.length; i++) {
            utf8[i] = checkedUtf8(where, "prefix " + i, prefixes[i]);
            if (utf8[i].length > MAX_SUBJECT_BYTES) {
                throw new IllegalArgumentException(where + ": prefix " + i + " '" + prefixes[i] + "' of "
                        + utf8[i].length + " bytes as UTF-8 (expected: at most " + MAX_SUBJECT_BYTES + ")");
            }
            length += 1 + utf8[i].length;
        }
        if (length > maxLength) {
            throw new IllegalArgumentException(where + ": the prefixes take " + length + " bytes, more than a frame"
                    + " of this connection may (" + maxLength + "); raise maxFrame or subscribe to fewer");
        }
        ByteBuffer frame = ByteBuffer.allocate(length).put(SessionProtocol.SUBSCRIBE).putShort((short) prefixes.length);
        for (byte[] prefix : utf8) {
            frame.put((byte) prefix.length).put(prefix);
        }
        return frame.array();
    }

    /**
     * @return the prefixes of a SUBSCRIBE frame, as UTF-8
     * @throws IllegalArgumentException saying what is wrong with it, for the protocol error
     */
    static byte[][] prefixes(byte[] frame) {
        if (frame.length < 3) {
            throw new IllegalArgumentException("a SUBSCRIBE of " + frame.length + " bytes (expected: at least 3)");
        }
        int count = ((frame[1] & 0xFF) << 8) | (frame[2] & 0xFF);
        if (count > MAX_PREFIXES) {
            throw new IllegalArgumentException("a SUBSCRIBE of " + count + " prefixes (expected: at most "
                    + MAX_PREFIXES + ")");
        }
        byte[][] prefixes = new byte[count][];
        int at = 3;
        for (int i = 0; i < count; i++) {
            int n = at < frame.length ? frame[at] & 0xFF : -1;
            if (n < 0 || at + 1 + n > frame.length) {
                throw new IllegalArgumentException("a SUBSCRIBE of " + frame.length + " bytes whose prefix " + i
                        + " of " + count + " runs past its end");
            }
            if (!wellFormed(frame, at + 1, n)) {
                throw new IllegalArgumentException("a SUBSCRIBE whose prefix " + i + " is not well-formed UTF-8");
            }
            prefixes[i] = Arrays.copyOfRange(frame, at + 1, at + 1 + n);
            at += 1 + n;
        }
        if (at != frame.length) {
            throw new IllegalArgumentException("a SUBSCRIBE of " + frame.length + " bytes with " + (frame.length - at)
                    + " bytes after its " + count + " prefixes");
        }
        return prefixes;
    }

    /** @return null if {@code frame} is a well-formed PUBLISH, else what is wrong with it */
    static String checkPublish(byte[] frame) {
        int n = frame.length > SessionProtocol.HEADER ? frame[SessionProtocol.HEADER] & 0xFF : -1;
        if (n < 1 || SessionProtocol.HEADER + 1 + n > frame.length) {
            return "a PUBLISH of " + frame.length + " bytes with a subject of " + Math.max(n, 0)
                    + " bytes (expected: 1 to " + MAX_SUBJECT_BYTES + ", within the frame)";
        }
        return wellFormed(frame, SessionProtocol.HEADER + 1, n) ? null
                : "a PUBLISH whose subject is not well-formed UTF-8";
    }

    /** @return where a PUBLISH frame's message starts */
    static int messageOffset(byte[] frame) {
        return SessionProtocol.HEADER + 1 + (frame[SessionProtocol.HEADER] & 0xFF);
    }

    /** @return a PUBLISH frame's subject */
    static String subject(byte[] frame) {
        return new String(frame, SessionProtocol.HEADER + 1, frame[SessionProtocol.HEADER] & 0xFF,
                StandardCharsets.UTF_8);
    }

    /** @return whether {@code prefixes} is null (no subscription: everything) or one starts {@code subject} */
    static boolean matches(byte[][] prefixes, byte[] subject, int offset, int length) {
        if (prefixes == null) {
            return true;
        }
        for (byte[] prefix : prefixes) {
            if (prefix.length <= length
                    && Arrays.equals(prefix, 0, prefix.length, subject, offset, offset + prefix.length)) {
                return true;
            }
        }
        return false;
    }

    /** @return whether the PUBLISH {@code frame}'s subject matches {@code prefixes} */
    static boolean matches(byte[][] prefixes, byte[] frame) {
        return matches(prefixes, frame, SessionProtocol.HEADER + 1, frame[SessionProtocol.HEADER] & 0xFF);
    }

    private static byte[] checkedUtf8(String where, String what, String text) {
        if (text == null) {
            throw new IllegalArgumentException(where + ": " + what + " is null");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(where + ": " + what + " has an unpaired surrogate at index " + i
                        + " (U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT) + "): not UTF-8 text");
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** @return whether the bytes are well-formed UTF-8: no overlong forms, surrogates or values past U+10FFFF */
    static boolean wellFormed(byte[] b, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; ) {
            int c = b[i] & 0xFF;
            int more = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                    : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
            if (more < 0 || i + more >= end) {
                return false;
            }
            int second = more > 0 ? b[i + 1] & 0xFF : 0x80;
            int low = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
            int high = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
            if (more > 0 && (second < low || second > high)) {
                return false;
            }
            for (int k = 2; k <= more; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += 1 + more;
        }
        return true;
    }
}
