package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.NodePeers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit and a NATS client nobody here wrote, npm's {@code nats} ({@code interop/node/nats_peer.js};
 * {@code .ci/run} installs it with {@code npm ci}), on one nats-server, both ways: Node
 * subscribes to what Conduit publishes, Conduit receives what Node publishes, and a Conduit
 * listener answers Node's requests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsNodeInteropTest {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();
    private Process node;

    @BeforeAll
    static void needsNodeAndAServer() throws Exception {
        NodePeers.assumeNodeWithWs();
        Assumptions.assumeTrue(Files.isDirectory(NodePeers.DIR.resolve("node_modules").resolve("nats")),
                () -> "skipped: " + NodePeers.DIR + "/node_modules/nats is missing (run npm ci there, as .ci/run does)");
    }

    @AfterEach
    void killNode() {
        ChildJvm.kill(node);
    }

    private BufferedReader node(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("node", NodePeers.DIR.resolve("nats_peer.js").toString()));
        command.addAll(List.of(args));
        node = new ProcessBuilder(command).directory(NodePeers.DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    }

    private String nodeUrl() {
        return "nats://127.0.0.1:" + NATS.get().port();
    }

    @Test
    void nodeSubscribesToWhatConduitPublishes() throws Exception {
        BufferedReader out = node("subscribe", nodeUrl(), "interop.to-node", "3");
        assertEquals("ready", out.readLine());
        try (MessageSender sender = Conduit.openSender(NATS.get().url("interop.to-node"))) {
            sender.send("one");
            sender.send("héllo ✓");
            sender.send("");
        }
        assertEquals("one", out.readLine());
        assertEquals("héllo ✓", out.readLine());
        assertEquals("", out.readLine());
        assertTrue(node.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, node.exitValue());
    }

    @Test
    void conduitReceivesWhatNodePublishes() throws Exception {
        try (MessageReceiver receiver = Conduit.openReceiver(NATS.get().url("interop.from-node"))) {
            BufferedReader out = node("publish", nodeUrl(), "interop.from-node", "100");
            assertEquals("done", out.readLine());
            for (int i = 0; i < 100; i++) {
                assertEquals("n" + i, receiver.receiveString(Duration.ofSeconds(10)));
            }
        }
    }

    @Test
    void aConduitListenerAnswersNodesRequest() throws Exception {
        try (Listener listener = Conduit.listen(NATS.get().url("interop.service"))) {
            BufferedReader out = node("request", nodeUrl(), "interop.service", "ping");
            try (Connection request = listener.accept(Duration.ofSeconds(30))) {
                assertEquals("ping", request.receiveString(Duration.ofSeconds(10)));
                request.send("pong from conduit");
            }
            assertEquals("pong from conduit", out.readLine());
            assertTrue(node.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, node.exitValue());
        }
    }
}
