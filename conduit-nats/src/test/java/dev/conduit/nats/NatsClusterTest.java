package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.Waits;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three servers clustered on loopback: the server the clients are on is killed (SIGKILL) while
 * messages flow at a steady rate. A JetStream receiver (stream and durable consumer replicated
 * on all three) gets every message once, in order; a core NATS subscriber gets them at most
 * once and in order, losing what was published while it was away, as NATS documents.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NatsClusterTest {
    private static final int MESSAGES = 300;
    /** Between two sends: a steady rate of about 200 messages a second. */
    private static final long GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    @Test
    void killingTheClientsServerLosesNoJetStreamMessageAndDuplicatesNone() throws Exception {
        List<NatsServer> servers = new ArrayList<>();
        try {
            int[] routes = {NatsServer.freePort(), NatsServer.freePort(), NatsServer.freePort()};
            for (int i = 0; i < 3; i++) {
                servers.add(NatsServer.startWithConfig(config(i, routes)));
            }
            NatsServer doomed = servers.get(0);
            createReplicatedStream(servers.get(1));
            String stream = doomed.url("clu.events") + "?stream=CLU";
            try (MessageReceiver reader = Conduit.openReceiver(stream + "&durable=reader&from=start");
                 MessageSender sender = Conduit.openSender(stream);
                 MessageReceiver core = Conduit.openReceiver(doomed.url("clu.core"));
                 MessageSender corePublisher = Conduit.openSender(servers.get(1).url("clu.core"))) {
                AtomicBoolean killed = new AtomicBoolean();
                CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> publish(sender, corePublisher));
                for (int i = 0; i < MESSAGES; i++) {
                    String m = reader.receiveString(Duration.ofSeconds(60));
                    assertNotNull(m, "message " + i + " did not arrive");
                    assertEquals("e" + i, m, "every message once, in order");
                    if (i == MESSAGES / 3 && killed.compareAndSet(false, true)) {
                        doomed.kill();
                    }
                }
                publishing.get(60, TimeUnit.SECONDS);
                assertNull(reader.receive(Duration.ofMillis(500)), "nothing after the last, nothing twice");
                assertAtMostOnceInOrder(core);
            }
        } finally {
            for (NatsServer s : servers) {
                s.close();
            }
        }
    }

    private static String config(int i, int[] routes) {
        StringBuilder r = new StringBuilder();
        for (int port : routes) {
            r.append(r.isEmpty() ? "" : ", ").append("nats-route://127.0.0.1:").append(port);
        }
        return "server_name: n" + i + "\ncluster {\n  name: conduit\n  listen: 127.0.0.1:" + routes[i]
                + "\n  routes: [" + r + "]\n}";
    }

    /** Creates the stream with three replicas once the cluster has its JetStream leader. */
    private static void createReplicatedStream(NatsServer server) throws Exception {
        io.nats.client.Connection raw = Nats.connect("nats://127.0.0.1:" + server.port());
        try {
            StreamConfiguration config = StreamConfiguration.builder().name("CLU").subjects("clu.events")
                    .storageType(StorageType.File).replicas(3).build();
            Waits.until("the cluster's JetStream to take a replicated stream", Duration.ofSeconds(60), () -> {
                try {
                    raw.jetStreamManagement().addStream(config);
                    return true;
                } catch (IOException | JetStreamApiException e) {
                    return false;
                }
            });
        } finally {
            raw.close();
        }
    }

    private static void publish(MessageSender sender, MessageSender corePublisher) {
        try {
            for (int i = 0; i < MESSAGES; i++) {
                long next = System.nanoTime() + GAP_NANOS;
                sender.send("e" + i);
                corePublisher.send("c" + i);
                LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            }
            corePublisher.send("c-end");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * Core NATS delivers at most once: the subscriber may have missed what was published while
     * it was reconnecting, but what it got is in order and without duplicates.
     */
    private static void assertAtMostOnceInOrder(MessageReceiver core) throws IOException {
        int last = -1;
        int got = 0;
        for (String m; (m = core.receiveString(Duration.ofSeconds(30))) != null && !m.equals("c-end"); got++) {
            int n = Integer.parseInt(m.substring(1));
            assertTrue(n > last, "in order, once: " + n + " after " + last);
            last = n;
        }
        assertTrue(got > 0 && got <= MESSAGES, "got " + got);
        System.out.println("core NATS subscriber: " + got + " of " + MESSAGES + " messages across the server loss");
    }
}
