package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.PythonPeer;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit against Python's standard {@code multiprocessing.connection} (family AF_UNIX, no
 * authkey), in both roles: the wire format checked by code nobody on this project wrote.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PythonInteropTest {
    private static final int COUNT = 40;

    private TempDir dir;
    private Process python;

    @BeforeEach
    void setUp() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        ChildJvm.kill(python);
        dir.close();
    }

    private Process python(String mode, Path socket) throws IOException {
        python = PythonPeer.start("/usr/bin/python3", "mpc_peer.py", mode, socket.toString(), String.valueOf(COUNT));
        return python;
    }

    /** The same payloads as mpc_peer.py's payload(i). */
    static byte[] payload(int i) {
        int[] sizes = {0, 1, 4, 255, 65536, 1 << 20};
        int size = i < 6 ? sizes[i] : (i * 131) % 3000;
        byte[] b = new byte[size];
        for (int k = 0; k < size; k++) {
            b[k] = (byte) ((i * 7 + k * 13) % 256);
        }
        return b;
    }

    static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    private List<String> finish(Process p) throws Exception {
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "python did not exit");
        assertEquals(0, p.exitValue(), "python failed: " + lines);
        return lines;
    }

    @Test
    void pythonClientTalksToConduitListener() throws Exception {
        Path socket = dir.resolve("py.sock");
        try (Listener listener = Conduit.listen("unix:" + socket)) {
            Process p = python("client", socket);
            try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                assertNotNull(c, "python did not connect");
                for (int i = 0; i < COUNT; i++) {
                    byte[] m = c.receive();
                    assertArrayEquals(payload(i), m, "message " + i + " from python");
                    c.send(reversed(m));
                }
                assertThrows(ConnectionClosedException.class, c::receive);
            }
            assertEquals("ok " + COUNT, finish(p).getLast());
        }
    }

    @Test
    void conduitClientTalksToPythonListener() throws Exception {
        Path socket = dir.resolve("py.sock");
        Process p = python("server", socket);
        try (Connection c = Conduit.connect("unix:" + socket, Duration.ofSeconds(30))) {
            for (int i = 0; i < COUNT; i++) {
                c.send(payload(i));
                assertArrayEquals(reversed(payload(i)), c.receive(), "reply " + i + " from python");
            }
        }
        assertEquals(List.of("listening", "ok " + COUNT), finish(p));
    }
}
