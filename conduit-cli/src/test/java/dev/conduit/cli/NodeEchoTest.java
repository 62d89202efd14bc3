package dev.conduit.cli;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.NodePeers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code conduit listen ws://... --echo} against a real Node {@code ws} client
 * ({@code interop/node/ws_peer.js ask}), as a browser would use it: a text message comes back
 * as text. Skipped, saying why, without node or the {@code ws} package ({@code npm ci} in
 * {@code interop/node}, as {@code .ci/run} does).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeEchoTest {
    private static final Path NODE_DIR = NodePeers.DIR;
    private Process node;
    private CliProcess listen;

    @BeforeAll
    static void needsNode() throws Exception {
        NodePeers.assumeNodeWithWs();
    }

    @AfterEach
    void stop() {
        ChildJvm.kill(node);
        if (listen != null) {
            listen.close();
        }
    }

    @Test
    void listenEchoAnswersATextMessageWithText() throws Exception {
        listen = CliProcess.start("listen", "ws://127.0.0.1:0/echo", "--echo", "--count", "1");
        String url = listen.awaitListening();
        node = new ProcessBuilder("node", NODE_DIR.resolve("ws_peer.js").toString(), "ask", url, "héllo ✓")
                .directory(NODE_DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node did not finish");
        String answer = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("text 10 héllo ✓\n", answer, "Node sent text; it should get text back");
        assertEquals(0, node.exitValue());
        assertEquals(0, listen.awaitExit(Duration.ofSeconds(20)), () -> "stderr: " + listen.stderr());
    }
}
