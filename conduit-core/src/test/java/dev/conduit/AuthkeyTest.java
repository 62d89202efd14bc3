package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ?authkey=} and {@code ?authkeyFile=} between Conduit processes' ends, and against
 * hand-played peers: a legacy (Python 3.11) client, a silent client, a wrong key; and the key
 * kept out of every message and description. Python itself is in PythonAuthkeyInteropTest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthkeyTest {
    private static final String SECRET = "TOPSECRET42";

    private final List<AutoCloseable> open = new ArrayList<>();
    private TempDir dir;

    @BeforeEach
    void setUp() throws Exception {
        dir = new TempDir();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        dir.close();
    }

    private <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    private String unix(String options) {
        return "unix:" + dir.resolve("a.sock") + "?" + options;
    }

    private Connection accept(Listener listener) throws Exception {
        Connection c = listener.accept(Duration.ofSeconds(10));
        assertNotNull(c, "nothing accepted");
        return track(c);
    }

    @Test
    void clientsWithTheKeyTalkOverUnixPipeAndTcp() throws Exception {
        Path key = Files.write(dir.resolve("key"), new byte[] {0, 10, (byte) 0xff, 13});
        for (String endpoint : List.of(unix("authkeyFile=" + key), "pipe:cdt-auth" + ProcessHandle.current().pid()
                + "?authkey=" + SECRET, "tcp://127.0.0.1:0?authkey=" + SECRET + "&maxFrame=1m")) {
            Listener listener = track(Conduit.listen(endpoint));
            Connection client = track(Conduit.connect(listener.endpoint(), Duration.ofSeconds(5)));
            Connection server = accept(listener);
            client.send("ping");
            assertEquals("ping", server.receiveString(Duration.ofSeconds(5)), endpoint);
            server.send("pong");
            assertEquals("pong", client.receiveString(Duration.ofSeconds(5)), endpoint);
        }
    }

    @Test
    void aWrongKeyFailsTheClientAndIsNeverAccepted() throws Exception {
        Listener listener = track(Conduit.listen(unix("authkey=" + SECRET)));
        String wrong = unix("authkey=wrong");
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> Conduit.connect(wrong));
        assertEquals(unix("authkey=***") + ": authenticate: the peer rejected our answer to its challenge:"
                + " the authkeys differ", e.getMessage());
        assertNull(listener.accept(Duration.ofMillis(200)));
        Connection good = track(Conduit.connect(listener.endpoint()));
        good.send("after");
        assertEquals("after", accept(listener).receiveString(Duration.ofSeconds(5)));
    }

    @Test
    void aKeyFileEndingInANewlineIsTheKeyWithTheNewlineAndSaysSo() throws Exception {
        Path withNewline = Files.writeString(dir.resolve("key"), SECRET + "\n");
        track(Conduit.listen(unix("authkey=" + SECRET)));
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> Conduit.connect(unix("authkeyFile=" + withNewline)));
        assertEquals(Endpoint.parse(unix("authkeyFile=" + withNewline)).redacted() + ": authenticate: the peer rejected our answer to its"
                + " challenge: the authkeys differ (the key file ends with a newline, which is part of the key;"
                + " write the file without one, e.g. with printf '%s')", e.getMessage());
    }

    @Test
    void theSessionProtocolRunsAfterTheChallenge() throws Exception {
        Listener listener = track(Conduit.listen("tcp://127.0.0.1:0?authkey=" + SECRET + "&protocol=conduit"));
        Connection client = track(Conduit.connect(listener.endpoint(), Duration.ofSeconds(5)));
        Connection server = accept(listener);
        server.onRequest((request, reply) -> reply.send(StandardCharsets.UTF_8.decode(request).toString()
                .toUpperCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8)), t -> { });
        assertArrayEquals("HI".getBytes(StandardCharsets.UTF_8),
                client.request("hi".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5)));
        client.send("a session message");
        assertEquals("a session message", server.receiveString(Duration.ofSeconds(5)));
        String wrong = listener.endpoint().toString().replace("authkey=" + SECRET, "authkey=wrong");
        assertThrows(AuthenticationException.class, () -> Conduit.connect(wrong));
    }

    @Test
    void aSilentClientHoldsUpNoOtherClient() throws Exception {
        Listener listener = track(Conduit.listen(unix("authkey=" + SECRET)));
        Connection silent = track(Conduit.connect(unix("maxFrame=1m")));
        byte[] challenge = silent.receive(Duration.ofSeconds(5));
        assertEquals("#CHALLENGE#{sha256}", new String(challenge, 0, 19, StandardCharsets.ISO_8859_1));
        Connection good = track(Conduit.connect(listener.endpoint()));
        good.send("not held up");
        // Less than the 5 s the silent client's challenge may take: it is passed over, not waited for.
        Connection served = listener.accept(Duration.ofSeconds(4));
        assertNotNull(served, "accept waited for the silent client");
        track(served);
        assertEquals("not held up", served.receiveString(Duration.ofSeconds(5)));
        assertThrows(ConnectionClosedException.class, () -> silent.receive(Duration.ofSeconds(20)));
        assertNull(listener.accept(Duration.ofMillis(100)), "the silent client was handed out");
    }

    @Test
    void aLegacyClientAnsweringWithBareHmacMd5IsServedAndAnsweredInKind() throws Exception {
        byte[] key = SECRET.getBytes(StandardCharsets.UTF_8);
        Listener listener = track(Conduit.listen(unix("authkey=" + SECRET)));
        Connection legacy = track(Conduit.connect(unix("maxFrame=1m")));
        byte[] challenge = legacy.receive(Duration.ofSeconds(5));
        byte[] message = Arrays.copyOfRange(challenge, "#CHALLENGE#".length(), challenge.length);
        legacy.send(md5(key, message));
        assertEquals("#WELCOME#", legacy.receiveString(Duration.ofSeconds(5)));
        byte[] ours = new byte[20];
        Arrays.fill(ours, (byte) 7);
        legacy.send(concat("#CHALLENGE#".getBytes(StandardCharsets.US_ASCII), ours));
        assertArrayEquals(md5(key, ours), legacy.receive(Duration.ofSeconds(5)), "an untagged challenge gets bare MD5");
        legacy.send("#WELCOME#");
        Connection server = accept(listener);
        legacy.send("hello from 3.11");
        assertEquals("hello from 3.11", server.receiveString(Duration.ofSeconds(5)));
    }

    private static byte[] md5(byte[] key, byte[] message) throws Exception {
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec(key, "HmacMD5"));
        return mac.doFinal(message);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void malformedKeyOptionsAreClearErrors() throws Exception {
        assertEquals("endpoint '" + unix("authkey=***&authkeyFile=%2Fk") + "': give authkey or authkeyFile, not both",
                assertThrows(IllegalArgumentException.class,
                        () -> Conduit.listen(unix("authkey=" + SECRET + "&authkeyFile=/k"))).getMessage());
        assertEquals("endpoint '" + unix("authkey=***") + "': the authkey is empty (Python would skip authentication"
                        + " for an empty key; give at least one byte)",
                assertThrows(IllegalArgumentException.class, () -> Conduit.connect(unix("authkey="))).getMessage());
        assertEquals("endpoint 'shm:x?authkey=***': authkey works on unix:, pipe: and tcp:// (Python's"
                        + " multiprocessing.connection), not shm:",
                assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:x?authkey=" + SECRET))
                        .getMessage());
        Path missing = dir.resolve("missing");
        String message = assertThrows(java.io.IOException.class,
                () -> Conduit.connect(unix("authkeyFile=" + missing))).getMessage();
        assertTrue(message.startsWith(Endpoint.parse(unix("authkeyFile=" + missing)).redacted()
                        + ": authkeyFile: cannot read " + missing),
                message);
    }

    @Test
    void theKeyAppearsInNoMessageAndNoDescription() throws Exception {
        List<String> shown = new ArrayList<>();
        Listener listener = track(Conduit.listen("tcp://127.0.0.1:0?authkey=" + SECRET + "&protocol=conduit"));
        Connection client = track(Conduit.connect(listener.endpoint(), Duration.ofSeconds(5)));
        Connection server = accept(listener);
        Listener rawListener = track(Conduit.listen(unix("authkey=" + SECRET)));
        Connection rawClient = track(Conduit.connect(rawListener.endpoint()));
        Connection rawServer = accept(rawListener);
        for (Object o : List.of(listener, client, server, rawListener, rawClient, rawServer)) {
            shown.add(o.toString());
        }
        for (Connection c : List.of(client, server, rawClient, rawServer)) {
            shown.add(c.endpoint().toString());
        }
        shown.add(listener.endpoint().redacted());
        shown.add(rawListener.endpoint().redacted());
        String wrong = rawListener.endpoint().redacted().replace("***", "wrong");
        shown.add(assertThrows(AuthenticationException.class, () -> Conduit.connect(wrong)).getMessage());
        rawListener.close();
        shown.add(assertThrows(ConnectionClosedException.class, rawListener::accept).getMessage());
        shown.add(assertThrows(java.io.IOException.class, () -> Conduit.connect(unix("authkey=" + SECRET)))
                .getMessage());
        shown.add(assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("tcp://127.0.0.1:1?authkey=" + SECRET + "&bogus=1")).getMessage());
        shown.add(assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("fifo:/tmp/x?authkey=" + SECRET)).getMessage());
        shown.add(assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender("fifo:/tmp/x?authkey=" + SECRET)).getMessage());
        shown.add(assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("tcp://127.0.0.1:0?authkey=" + SECRET + "&protocol=other")).getMessage());
        client.close();
        shown.add(assertThrows(ConnectionClosedException.class, client::receive).getMessage());
        for (String malformed : List.of("unix:/x?authkey=" + SECRET + "&authkey=" + SECRET,
                "unix:/x?authkey=" + SECRET + "%zz", "tcp://h?authkey=" + SECRET)) {
            shown.add(assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(malformed)).getMessage());
        }
        shown.add(assertThrows(TransportUnavailableException.class,
                () -> Conduit.connect("bogus:x?authkey=" + SECRET)).getMessage());
        for (String text : shown) {
            assertFalse(text.contains(SECRET), text);
        }
        assertTrue(shown.stream().anyMatch(s -> s.contains("authkey=***")), shown.toString());
    }

    /** Every promise of a connection, with the challenge made first. */
    @Nested
    class OverUnix extends ListenerContract {
        private TempDir sockets;

        @Override
        protected String endpoint() throws Exception {
            if (sockets == null) {
                sockets = track(new TempDir());
            }
            return "unix:" + sockets.resolve("k" + System.nanoTime() % 100000 + ".sock") + "?maxFrame=1m&authkey="
                    + SECRET;
        }

        /** Once the challenge is over, the connection is the plain socket connection. */
        @Override
        protected boolean allocatesNothingPerMessage() {
            return true;
        }
    }
}
