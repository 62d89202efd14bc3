package dev.conduit.internal.auth;

import dev.conduit.AuthenticationException;
import dev.conduit.Connection;
import dev.conduit.testing.MemPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Python's challenge byte by byte. The expected HMACs were computed by Debian's Python 3.11,
 * independently of this code:
 * <pre>
 * /usr/bin/python3 -c 'import hmac; k=b"s3cret"; m=b"{sha256}"+bytes(range(40));
 *   print((b"{sha256}"+hmac.new(k,m,"sha256").digest()).hex(), hmac.new(k,m,"md5").hexdigest(),
 *         hmac.new(k,bytes(range(20)),"md5").hexdigest())'
 * </pre>
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PythonChallengeTest {
    private static final byte[] KEY = ascii("s3cret");
    private static final HexFormat HEX = HexFormat.of();

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] tagged(String digest, int randomBytes) {
        byte[] tag = ascii("{" + digest + "}");
        byte[] m = Arrays.copyOf(tag, tag.length + randomBytes);
        for (int i = 0; i < randomBytes; i++) {
            m[tag.length + i] = (byte) i;
        }
        return m;
    }

    private static byte[] legacy() {
        byte[] m = new byte[20];
        for (int i = 0; i < m.length; i++) {
            m[i] = (byte) i;
        }
        return m;
    }

    @Test
    void answersA312Sha256ChallengeWithTheTaggedHmac() {
        assertEquals("7b7368613235367d5307262eac60e1cea4f91b197a1618429ee61d74936733470911b23af556e27b",
                HEX.formatHex(PythonChallenge.response(KEY, tagged("sha256", 40))));
    }

    @Test
    void answersAnUntaggedLegacyChallengeWithTheBareHmacMd5() {
        assertEquals("149eca49e98e41aa0d9ea4d953f07ba4", HEX.formatHex(PythonChallenge.response(KEY, legacy())));
    }

    @Test
    void answersEveryDigestPythonAllows() {
        assertEquals("7b736861335f3338347de009f087933a11280fa4b63d81414fbf765a83641e9ec6f86f79e2a99002dc944dec"
                        + "7f726c62f668a82f0d57eab72df8",
                HEX.formatHex(PythonChallenge.response(KEY, tagged("sha3_384", 40))));
        for (String digest : List.of("md5", "sha256", "sha384", "sha3_256", "sha3_384")) {
            byte[] message = tagged(digest, 40);
            assertNull(PythonChallenge.verify(KEY, message, PythonChallenge.response(KEY, message)), digest);
        }
    }

    @Test
    void acceptsATaggedAnswerAndA311BareMd5Answer() {
        byte[] message = tagged("sha256", 40);
        assertNull(PythonChallenge.verify(KEY, message, HEX.parseHex(
                "7b7368613235367d5307262eac60e1cea4f91b197a1618429ee61d74936733470911b23af556e27b")));
        // Python 3.11 takes the whole tagged message as its challenge and answers with HMAC-MD5.
        assertNull(PythonChallenge.verify(KEY, message, HEX.parseHex("c233babdb0d0700e3b6cebf7ab927b3c")));
    }

    @Test
    void refusesWrongAnswersSayingWhy() {
        byte[] message = tagged("sha256", 40);
        byte[] wrong = PythonChallenge.response(ascii("other"), message);
        assertEquals("the peer's answer to our challenge is wrong: the authkeys differ",
                PythonChallenge.verify(KEY, message, wrong));
        assertEquals("the peer's answer to our challenge is a 4-byte md5 HMAC (expected 16 bytes)",
                PythonChallenge.verify(KEY, message, ascii("{md5}abcd")));
        assertEquals("the peer's answer to our challenge names no digest Python allows: 9 bytes \"{sha1}abc\"",
                PythonChallenge.verify(KEY, message, ascii("{sha1}abc")));
        assertEquals("the peer's answer to our challenge is a 20-byte md5 HMAC (expected 16 bytes)",
                PythonChallenge.verify(KEY, message, new byte[20]));
    }

    @Test
    void readsDigestTagsAsPythonDoes() {
        assertEquals("", PythonChallenge.digestName(new byte[16]));
        assertEquals("", PythonChallenge.digestName(new byte[20]));
        assertEquals("sha3_384", PythonChallenge.digestName(tagged("sha3_384", 40)));
        assertNull(PythonChallenge.digestName(tagged("sha3_3844", 40)));
        assertNull(PythonChallenge.digestName(tagged("SHA256", 40)));
        assertNull(PythonChallenge.digestName(new byte[41]));
        assertNull(PythonChallenge.digestName(new byte[0]));
    }

    @Test
    void aListenerAndAClientWithOneKeyAgreeAndLeaveTheConnectionClean() throws Exception {
        Connection[] pair = MemPair.open("auth", open);
        CompletableFuture<Void> listener = CompletableFuture.runAsync(() -> run(pair[1], KEY, true));
        PythonChallenge.asClient(pair[0], KEY, "mem:auth", Duration.ofSeconds(10));
        listener.get(10, TimeUnit.SECONDS);
        pair[0].send("after");
        assertEquals("after", pair[1].receiveString(Duration.ofSeconds(5)));
    }

    @Test
    void differentKeysFailBothSidesNamingTheEndpoint() throws Exception {
        Connection[] pair = MemPair.open("auth", open);
        CompletableFuture<Void> listener = CompletableFuture.runAsync(() -> run(pair[1], KEY, true));
        AuthenticationException client = assertThrows(AuthenticationException.class,
                () -> PythonChallenge.asClient(pair[0], ascii("other"), "mem:auth", Duration.ofSeconds(10)));
        assertEquals("mem:auth: authenticate: the peer rejected our answer to its challenge: the authkeys differ",
                client.getMessage());
        Throwable failure = assertThrows(ExecutionException.class, () -> listener.get(10, TimeUnit.SECONDS))
                .getCause();
        assertInstanceOf(AuthenticationException.class, failure);
        assertEquals("mem:auth: authenticate: the peer's answer to our challenge is wrong: the authkeys differ",
                failure.getMessage());
    }

    @Test
    void aPeerThatSendsNoChallengeIsTold() throws Exception {
        Connection[] pair = MemPair.open("auth", open);
        pair[1].send("hello");
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> PythonChallenge.asClient(pair[0], KEY, "mem:auth", Duration.ofSeconds(10)));
        assertEquals("mem:auth: authenticate: expected a #CHALLENGE# message, got 5 bytes \"hello\"; does the peer"
                + " use an authkey?", e.getMessage());
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        Connection[] pair = MemPair.open("auth", open);
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> PythonChallenge.asListener(pair[0], KEY, "mem:auth", Duration.ofMillis(100)));
        assertEquals("mem:auth: authenticate: the peer sent nothing in time while we waited for an answer to our"
                + " challenge; does it use an authkey?", e.getMessage());
        byte[] challenge = pair[1].receive(Duration.ofSeconds(5));
        assertTrue(new String(challenge, StandardCharsets.ISO_8859_1).startsWith("#CHALLENGE#{sha256}"));
        assertEquals("#CHALLENGE#{sha256}".length() + 40, challenge.length);
    }

    private static void run(Connection c, byte[] key, boolean asListener) {
        try {
            if (asListener) {
                PythonChallenge.asListener(c, key, "mem:auth", Duration.ofSeconds(10));
            } else {
                PythonChallenge.asClient(c, key, "mem:auth", Duration.ofSeconds(10));
            }
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }
}
