package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.NodePeers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit's WebSocket against Node's {@code ws} package ({@code interop/node/ws_peer.js}; {@code .ci/run}
 * installs it with {@code npm ci}), Node as client and as server: binary and text messages,
 * empty and 4 MiB ones, a message Node sends in three frames, a bearer token, and the close.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeWebSocketInteropTest {
    private static final Path NODE_DIR = NodePeers.DIR;
    private Process node;

    @BeforeAll
    static void needsNode() throws Exception {
        NodePeers.assumeNodeWithWs();
    }

    @AfterEach
    void killNode() {
        ChildJvm.kill(node);
    }

    private BufferedReader node(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("node", NODE_DIR.resolve("ws_peer.js").toString()));
        command.addAll(List.of(args));
        node = new ProcessBuilder(command).directory(NODE_DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        return new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    }

    private static byte[] payload(int size) {
        byte[] m = new byte[size];
        for (int i = 0; i < size; i++) {
            m[i] = (byte) (i * 31 + size);
        }
        return m;
    }

    /** Sends each kind of message and checks the echo and how Node saw it. */
    private static void exchange(Connection c, BufferedReader out) throws IOException {
        for (int size : new int[] {0, 1, 125, 126, 65535, 65536, 4 << 20}) {
            c.send(payload(size));
            assertArrayEquals(payload(size), c.receive(Duration.ofSeconds(30)), size + " bytes");
            assertEquals("binary " + size, out.readLine());
        }
        c.send("héllo ✓");
        assertEquals("héllo ✓", c.receiveString(Duration.ofSeconds(10)));
        assertEquals("text " + "héllo ✓".getBytes(StandardCharsets.UTF_8).length, out.readLine());
        c.send("fragment");
        assertEquals("part1part2part3", c.receiveString(Duration.ofSeconds(10)), "three frames, one message");
    }

    @Test
    void nodeConnectsToAConduitListener() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/node?maxFrame=8m&token=n0de")) {
            String url = "ws://" + listener.endpoint().address();
            BufferedReader out = node("client", url, "n0de");
            try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                assertNotNull(c, "node did not connect");
                assertEquals("open", out.readLine());
                exchange(c, out);
            }
            assertEquals("closed 1000", out.readLine());
            assertTrue(node.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, node.exitValue());
        }
    }

    @Test
    void conduitConnectsToANodeServer() throws Exception {
        BufferedReader out = node("server");
        String listening = out.readLine();
        assertNotNull(listening, "node did not start");
        assertTrue(listening.startsWith("listening "), listening);
        String url = "ws://127.0.0.1:" + listening.substring("listening ".length()) + "/?maxFrame=8m";
        try (Connection c = Conduit.connect(url, Duration.ofSeconds(30))) {
            exchange(c, out);
        }
        assertEquals("closed 1000", out.readLine());
        assertTrue(node.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, node.exitValue());
    }
}
