package dev.conduit.interop;

import dev.conduit.AuthenticationException;
import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.PythonPeer;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.conduit.interop.PythonInteropTest.payload;
import static dev.conduit.interop.PythonInteropTest.reversed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit against {@code /usr/bin/python3}'s {@code multiprocessing.connection} with an authkey
 * (Debian's 3.11: HMAC-MD5 answers to Conduit's {@code {sha256}} challenges, untagged 20-byte
 * challenges for Conduit to answer), in both roles, over AF_UNIX ({@code ?authkeyFile=}) and TCP
 * on 127.0.0.1 ({@code ?authkey=}), with the right key and a wrong one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PythonAuthkeyInteropTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int COUNT = 12;
    /** Not ASCII, so the percent-encoding and the UTF-8 bytes are checked too. */
    private static final String SECRET = "s3cret-Ω&=";

    private TempDir dir;
    private Path key;
    private Path wrongKey;
    private Process python;
    private BufferedReader out;

    @BeforeAll
    static void needsPython() {
        boolean present = Files.isExecutable(Path.of(PYTHON));
        if (!present) {
            System.err.println(PythonAuthkeyInteropTest.class.getSimpleName() + " skipped: " + PYTHON + " is missing");
        }
        Assumptions.assumeTrue(present, PYTHON + " is missing (.ci/run installs python3)");
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = new TempDir();
        key = Files.writeString(dir.resolve("key"), SECRET, StandardCharsets.UTF_8);
        wrongKey = Files.writeString(dir.resolve("wrong"), "not the secret", StandardCharsets.UTF_8);
    }

    @AfterEach
    void tearDown() throws IOException {
        ChildJvm.kill(python);
        dir.close();
    }

    private boolean unix(String family) {
        return family.equals("AF_UNIX");
    }

    /** @return where Conduit listens: a socket with the key in a file, or TCP with the key inline */
    private String listenEndpoint(String family) {
        return unix(family) ? "unix:" + dir.resolve("py.sock") + "?authkeyFile=" + key
                : "tcp://127.0.0.1:0?authkey=" + URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    }

    /** @return the address mpc_peer.py is given for a Conduit listener: a path, or HOST:PORT */
    private static String pythonAddress(Endpoint endpoint) {
        return endpoint.address();
    }

    private void python(String mode, String address, String family, Path keyFile) throws IOException {
        python = PythonPeer.start(PYTHON, "mpc_peer.py", mode, address, String.valueOf(COUNT), family,
                keyFile.toString());
        out = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts mpc_peer.py as a server and returns the endpoint a Conduit client reaches it at. */
    private String pythonServer(String family, Path keyFile, String option) throws IOException {
        String address = unix(family) ? dir.resolve("py.sock").toString() : "127.0.0.1:0";
        python("server", address, family, keyFile);
        String listening = out.readLine();
        assertNotNull(listening, "python exited before listening");
        assertTrue(listening.startsWith("listening"), listening);
        return unix(family) ? "unix:" + address + "?" + option
                : "tcp://127.0.0.1:" + listening.substring("listening ".length()) + "?" + option;
    }

    private String keyOption(String family) {
        return unix(family) ? "authkeyFile=" + key
                : "authkey=" + URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    }

    /** @return the rest of python's output, once it exited with {@code status} */
    private List<String> finish(int status) throws Exception {
        List<String> lines = new ArrayList<>();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            lines.add(line);
        }
        assertTrue(python.waitFor(30, TimeUnit.SECONDS), "python did not exit");
        assertEquals(status, python.exitValue(), "python's exit status; it printed " + lines);
        return lines;
    }

    @ParameterizedTest
    @ValueSource(strings = {"AF_UNIX", "AF_INET"})
    void pythonClientAuthenticatesToAConduitListener(String family) throws Exception {
        try (Listener listener = Conduit.listen(listenEndpoint(family))) {
            python("client", pythonAddress(listener.endpoint()), family, key);
            try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                assertNotNull(c, "python did not connect");
                for (int i = 0; i < COUNT; i++) {
                    byte[] m = c.receive();
                    assertArrayEquals(payload(i), m, "message " + i + " from python");
                    c.send(reversed(m));
                }
                assertThrows(ConnectionClosedException.class, c::receive);
            }
            assertEquals(List.of("ok " + COUNT), finish(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AF_UNIX", "AF_INET"})
    void conduitClientAuthenticatesToAPythonListener(String family) throws Exception {
        String endpoint = pythonServer(family, key, keyOption(family));
        try (Connection c = Conduit.connect(endpoint, Duration.ofSeconds(30))) {
            for (int i = 0; i < COUNT; i++) {
                c.send(payload(i));
                assertArrayEquals(reversed(payload(i)), c.receive(), "reply " + i + " from python");
            }
        }
        assertEquals(List.of("ok " + COUNT), finish(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"AF_UNIX", "AF_INET"})
    void aPythonClientWithAnotherKeyIsRefusedAndNeverAccepted(String family) throws Exception {
        try (Listener listener = Conduit.listen(listenEndpoint(family))) {
            python("client", pythonAddress(listener.endpoint()), family, wrongKey);
            assertEquals(List.of("AuthenticationError: digest sent was rejected"), finish(3));
            // The listener's side of the failure is logged, not thrown: PythonChallengeTest checks its text.
            assertNull(listener.accept(Duration.ofMillis(100)), "a client with another key was accepted");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AF_UNIX", "AF_INET"})
    void aConduitClientWithAnotherKeyIsRefusedByPython(String family) throws Exception {
        String endpoint = pythonServer(family, key, unix(family) ? "authkeyFile=" + wrongKey : "authkey=wrong");
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> Conduit.connect(endpoint, Duration.ofSeconds(30)));
        assertEquals(Endpoint.parse(endpoint).redacted()
                + ": authenticate: the peer rejected our answer to its challenge: the authkeys differ", e.getMessage());
        assertEquals(List.of("AuthenticationError: digest received was wrong"), finish(3));
    }
}
