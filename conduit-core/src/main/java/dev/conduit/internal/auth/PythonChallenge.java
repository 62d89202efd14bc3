package dev.conduit.internal.auth;

import dev.conduit.AuthenticationException;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Python's {@code multiprocessing.connection} challenge and response, as in CPython 3.12+'s
 * {@code deliver_challenge} and {@code answer_challenge} (and the HMAC-MD5-only protocol of 3.11
 * and older, which those still accept). Each message is one ordinary frame.
 *
 * <pre>
 * deliverer                                         answerer
 *   "#CHALLENGE#" M     M = "{sha256}" + 40 random bytes      ------&gt;
 *                       (3.11 and older: M = 20 random bytes)
 *              &lt;------  "{sha256}" + HMAC-SHA256(key, M)    (a 3.12+ answerer of a tagged M)
 *                       or HMAC-MD5(key, M), 16 bytes       (3.11 and older, or an untagged M)
 *   "#WELCOME#" if the HMAC is right, else "#FAILURE#"   ------&gt;
 * </pre>
 *
 * The HMAC covers all of M, the {@code {digest}} tag included, so an answerer cannot pick a
 * weaker digest than the tag names. A message of 16 or 20 bytes is untagged (legacy); any other
 * must start with a tag naming one of {@code md5}, {@code sha256}, {@code sha384},
 * {@code sha3_256}, {@code sha3_384}. Messages over 256 bytes are refused, as Python's
 * {@code recv_bytes(256)} refuses them. A listener delivers, then answers; a client answers,
 * then delivers. Methods block on the connection; they are for one thread at a time.
 */
public final class PythonChallenge {
    static final byte[] CHALLENGE = ascii("#CHALLENGE#");
    static final byte[] WELCOME = ascii("#WELCOME#");
    static final byte[] FAILURE = ascii("#FAILURE#");
    /** Random bytes in a 3.12+ challenge, after its tag. */
    static final int MESSAGE_LENGTH = 40;
    /** The whole untagged challenge of Python 3.11 and older. */
    static final int LEGACY_MESSAGE_LENGTH = 20;
    static final int MD5_LENGTH = 16;
    /** The digest this side's challenges name, 3.12's default. */
    static final String DIGEST = "sha256";
    /** The longest message either side accepts, as Python's {@code recv_bytes(256)}. */
    static final int MAX_MESSAGE = 256;
    /** Python's {@code _ALLOWED_DIGESTS}, with the JDK's name for each HMAC. */
    private static final Map<String, String> MACS = Map.of("md5", "HmacMD5", "sha256", "HmacSHA256",
            "sha384", "HmacSHA384", "sha3_256", "HmacSHA3-256", "sha3_384", "HmacSHA3-384");
    /** Python's {@code _MAX_DIGEST_LEN}: the longest digest name. */
    private static final int MAX_DIGEST_NAME = 8;
    /** How a failure because of different keys ends its message. */
    static final String KEYS_DIFFER = "the authkeys differ";
    private static final SecureRandom RANDOM = new SecureRandom();

    private PythonChallenge() {
    }

    /**
     * The listener's side ({@code Listener.accept}): challenges the peer, then answers its
     * challenge.
     *
     * @param connection a fresh connection on which nothing else has been sent or received
     * @param key        the authkey, not empty
     * @param name       how messages name the endpoint, without the key
     * @param timeout    the most the whole exchange may take
     * @throws AuthenticationException naming {@code name} if the keys differ, the peer speaks
     *                                 something else, closes, or says nothing in time
     * @throws IOException             if the connection fails otherwise
     */
    public static void asListener(Connection connection, byte[] key, String name, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        deliver(connection, key, name, deadline);
        answer(connection, key, name, deadline);
    }

    /**
     * The client's side ({@code Client}): answers the peer's challenge, then challenges it.
     *
     * @param connection a fresh connection on which nothing else has been sent or received
     * @param key        the authkey, not empty
     * @param name       how messages name the endpoint, without the key
     * @param timeout    the most the whole exchange may take
     * @throws AuthenticationException as {@link #asListener}
     * @throws IOException             as {@link #asListener}
     */
    public static void asClient(Connection connection, byte[] key, String name, Duration timeout)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        answer(connection, key, name, deadline);
        deliver(connection, key, name, deadline);
    }

    static void deliver(Connection connection, byte[] key, String name, long deadline) throws IOException {
        byte[] random = new byte[MESSAGE_LENGTH];
        RANDOM.nextBytes(random);
        byte[] message = concat(ascii("{" + DIGEST + "}"), random);
        connection.send(concat(CHALLENGE, message));
        byte[] response = receive(connection, name, deadline, "an answer to our challenge");
        String problem = verify(key, message, response);
        if (problem != null) {
            try {
                connection.send(FAILURE);
            } catch (IOException e) {
                // It is told by the connection closing instead.
            }
            throw new AuthenticationException(name + ": authenticate: " + problem);
        }
        connection.send(WELCOME);
    }

    static void answer(Connection connection, byte[] key, String name, long deadline) throws IOException {
        byte[] challenge = receive(connection, name, deadline, "a challenge");
        if (!startsWith(challenge, CHALLENGE)) {
            throw new AuthenticationException(name + ": authenticate: expected a #CHALLENGE# message, got "
                    + describe(challenge) + "; does the peer use an authkey?");
        }
        byte[] message = Arrays.copyOfRange(challenge, CHALLENGE.length, challenge.length);
        if (message.length < LEGACY_MESSAGE_LENGTH) {
            throw new AuthenticationException(name + ": authenticate: the challenge is too short: "
                    + message.length + " bytes (expected at least " + LEGACY_MESSAGE_LENGTH + ")");
        }
        String digest = digestName(message);
        if (digest == null) {
            throw new AuthenticationException(name + ": authenticate: the challenge names no digest Python"
                    + " allows (expected a {digest} tag, one of " + String.join(", ", MACS.keySet().stream()
                    .sorted().toList()) + ", or a 20-byte untagged challenge)");
        }
        connection.send(response(key, message));
        byte[] verdict = receive(connection, name, deadline, "the verdict on our answer");
        if (Arrays.equals(verdict, FAILURE)) {
            throw new AuthenticationException(name + ": authenticate: the peer rejected our answer to its"
                    + " challenge: " + KEYS_DIFFER);
        }
        if (!Arrays.equals(verdict, WELCOME)) {
            throw new AuthenticationException(name + ": authenticate: expected #WELCOME# or #FAILURE#, got "
                    + describe(verdict));
        }
    }

    /**
     * @param key     the authkey
     * @param message the challenge without {@code #CHALLENGE#}, its tag included
     * @return the answer: {@code {digest}} and the HMAC for a tagged challenge, the bare HMAC-MD5
     *         for an untagged one
     * @throws IllegalArgumentException if the challenge names no allowed digest
     */
    static byte[] response(byte[] key, byte[] message) {
        String digest = digestName(message);
        if (digest == null) {
            throw new IllegalArgumentException("the challenge names no allowed digest");
        }
        if (digest.isEmpty()) {
            return hmac("md5", key, message);
        }
        return concat(ascii("{" + digest + "}"), hmac(digest, key, message));
    }

    /**
     * @param key      the authkey
     * @param message  the challenge this side sent, without {@code #CHALLENGE#}
     * @param response the peer's answer
     * @return {@code null} if the answer is right, else what is wrong with it
     */
    static String verify(byte[] key, byte[] message, byte[] response) {
        String digest = digestName(response);
        if (digest == null) {
            return "the peer's answer to our challenge names no digest Python allows: " + describe(response);
        }
        String used = digest.isEmpty() ? "md5" : digest;
        byte[] mac = Arrays.copyOfRange(response, digest.isEmpty() ? 0 : digest.length() + 2, response.length);
        byte[] expected = hmac(used, key, message);
        if (mac.length != expected.length) {
            return "the peer's answer to our challenge is a " + mac.length + "-byte " + used
                    + " HMAC (expected " + expected.length + " bytes)";
        }
        return MessageDigest.isEqual(expected, mac) ? null
                : "the peer's answer to our challenge is wrong: " + KEYS_DIFFER;
    }

    /**
     * Python's {@code _get_digest_name_and_payload}, returning the name only.
     *
     * @return {@code ""} for an untagged (legacy) message of 16 or 20 bytes, the digest named by a
     *         {@code {digest}} tag, or {@code null} if neither
     */
    static String digestName(byte[] message) {
        if (message.length == LEGACY_MESSAGE_LENGTH || message.length == MD5_LENGTH) {
            return "";
        }
        if (message.length == 0 || message[0] != '{') {
            return null;
        }
        for (int i = 1; i < Math.min(message.length, MAX_DIGEST_NAME + 2); i++) {
            if (message[i] == '}') {
                String digest = new String(message, 1, i - 1, StandardCharsets.US_ASCII);
                return MACS.containsKey(digest) ? digest : null;
            }
        }
        return null;
    }

    static byte[] hmac(String digest, byte[] key, byte[] message) {
        String algorithm = MACS.get(digest);
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }

    private static byte[] receive(Connection connection, String name, long deadline, String what)
            throws IOException {
        byte[] message;
        try {
            message = connection.receive(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (ConnectionClosedException e) {
            throw new AuthenticationException(name + ": authenticate: the peer closed the connection while"
                    + " we waited for " + what + "; does it use an authkey?", e);
        }
        if (message == null) {
            throw new AuthenticationException(name + ": authenticate: the peer sent nothing in time while we"
                    + " waited for " + what + "; does it use an authkey?");
        }
        if (message.length > MAX_MESSAGE) {
            throw new AuthenticationException(name + ": authenticate: expected " + what + " of at most "
                    + MAX_MESSAGE + " bytes, got " + message.length + " bytes; does the peer use an authkey?");
        }
        return message;
    }

    /** @return the message's length and its start, printable ASCII shown as text */
    private static String describe(byte[] message) {
        StringBuilder sb = new StringBuilder().append(message.length).append(" bytes \"");
        for (int i = 0; i < Math.min(message.length, 24); i++) {
            int b = message[i] & 0xff;
            sb.append(b >= 0x20 && b < 0x7f && b != '"' && b != '\\' ? Character.toString(b) : String.format("\\x%02x", b));
        }
        return sb.append(message.length > 24 ? "...\"" : "\"").toString();
    }

    private static boolean startsWith(byte[] message, byte[] prefix) {
        return message.length >= prefix.length && Arrays.equals(message, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
