package dev.conduit.internal.ipcez;

import dev.conduit.AckTimeoutException;
import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.posix.Semaphores;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ?ack=ipcez} between Conduit ends: acknowledgements both ways, sharing, the sweep, the options. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IpcezAckTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private TempDir dir;
    private Endpoint endpoint;
    private Process child;

    @BeforeEach
    void pickEndpoint() throws IOException {
        dir = new TempDir();
        endpoint = Endpoint.parse("unix:" + dir.resolve("a.sock"));
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            ChildJvm.kill(child);
        } finally {
            IpcezFixture.unlinkSemaphores(endpoint);
            dir.close();
        }
    }

    private String with(String options) {
        return endpoint + "?" + options;
    }

    @Test
    void semaphoreNamesFollowIpcez() {
        assertEquals("/ipcez__tmp_ipcez_sock_data_ready", IpcezAck.readyName(Endpoint.parse("unix:/tmp/ipcez.sock")));
        assertEquals("/ipcez__tmp_ipcez_sock_data_acked", IpcezAck.ackedName(Endpoint.parse("/tmp/ipcez.sock?ack=ipcez")));
        assertEquals("default", IpcezAck.base(""));
        assertEquals("a_b_c_d", IpcezAck.base("a\\b.c/d"));
        assertEquals("_".repeat(231), IpcezAck.base("/".repeat(300)));
    }

    @Test
    void conduitEndsAcknowledgeEachOtherBothWaysThroughEveryWayOfReceiving() throws Exception {
        try (Listener listener = Conduit.listen(with("ack=ipcez"));
             Connection client = Conduit.connect(with("ack=ipcez&ackTimeout=10s"))) {
            Connection server = listener.accept(WAIT);
            assertNotNull(server);
            int count = 30;
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < count; i++) {
                        List<byte[]> seen = new ArrayList<>();
                        switch (i % 3) {
                            case 0 -> seen.add(server.receive());
                            case 1 -> server.poll(view -> seen.add(copy(view)), 1, WAIT);
                            default -> seen.add(server.receiveAsync().get(WAIT.toSeconds(), TimeUnit.SECONDS));
                        }
                        server.send(seen.getFirst()); // the client's receive acknowledges it
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            for (int i = 0; i < count; i++) {
                byte[] m = ("message " + i).getBytes(StandardCharsets.UTF_8);
                client.send(m); // returns once the server's application took it
                assertArrayEquals(m, client.receive(WAIT));
            }
            echo.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            server.write("a".getBytes(StandardCharsets.UTF_8));
            server.write("b".getBytes(StandardCharsets.UTF_8));
            CountDownLatch two = new CountDownLatch(2);
            client.onMessage(view -> two.countDown(), Throwable::printStackTrace);
            server.flush(); // waits for both acknowledgements, which onMessage gives after its handler
            assertTrue(two.await(10, TimeUnit.SECONDS));
            server.close();
        }
        assertEquals(List.of(), IpcezFixture.semaphoreFiles(endpoint), "semaphores left after close");
    }

    @Test
    void aSendReturnsOnlyOnceTheApplicationTookTheMessage() throws Exception {
        try (Listener listener = Conduit.listen(with("ack=ipcez"));
             Connection client = Conduit.connect(with("ack=ipcez&ackTimeout=30s"))) {
            Connection server = listener.accept(WAIT);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    client.send("x");
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // The frame arrives at once; the acknowledgement waits for receive.
            assertThrows(java.util.concurrent.TimeoutException.class, () -> sent.get(300, TimeUnit.MILLISECONDS));
            assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), server.receive());
            sent.get(10, TimeUnit.SECONDS);
            server.close();
        }
    }

    @Test
    void twoClientsSendingAtOnceAllGetTheirAcknowledgements() throws Exception {
        int each = 200;
        try (Listener listener = Conduit.listen(with("ack=ipcez"));
             Connection a = Conduit.connect(with("ack=ipcez&ackTimeout=10s"));
             Connection b = Conduit.connect(with("ack=ipcez&ackTimeout=10s"))) {
            ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
            List<Connection> served = List.of(listener.accept(WAIT), listener.accept(WAIT));
            for (Connection s : served) {
                s.onMessage(view -> received.add(StandardCharsets.UTF_8.decode(view).toString()),
                        Throwable::printStackTrace);
            }
            List<CompletableFuture<Void>> senders = new ArrayList<>();
            for (Connection c : List.of(a, b)) {
                String who = c == a ? "a" : "b";
                senders.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < each; i++) {
                            c.send(who + i);
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, r -> Thread.ofPlatform().start(r)));
            }
            for (CompletableFuture<Void> s : senders) {
                s.get(30, TimeUnit.SECONDS); // an AckTimeoutException would fail here
            }
            assertEquals(2 * each, received.size());
            for (Connection s : served) {
                s.close();
            }
        }
    }

    @Test
    void aListenerSweepsTheSemaphoresOfOneKilledWithSigkill() throws Exception {
        child = ChildJvm.builder(IpcezStaleListener.class, with("ack=ipcez")).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertNotNull(line, "the child listener died");
        assertTrue(line.startsWith("ready"), line);
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        assertEquals(2, IpcezFixture.semaphoreFiles(endpoint).size(), "the killed listener's semaphores");
        try (Listener listener = Conduit.listen(with("ack=ipcez"));
             Connection client = Conduit.connect(with("ack=ipcez&ackTimeout=300ms"))) {
            MemorySegment acked = Semaphores.open(IpcezAck.ackedName(endpoint), 0, 0600);
            try {
                assertEquals(0, Semaphores.value(acked, "data_acked"), "the stale count survived the sweep");
            } finally {
                Semaphores.close(acked, "data_acked");
            }
            Connection server = listener.accept(WAIT);
            // Nobody receives: three stale posts must not pass for an acknowledgement.
            assertThrows(AckTimeoutException.class, () -> client.send("x"));
            server.close();
        }
        assertEquals(List.of(), IpcezFixture.semaphoreFiles(endpoint), "semaphores left after close");
    }

    @Test
    void aClientNeverUnlinksTheSemaphores() throws Exception {
        try (Listener listener = Conduit.listen(with("ack=ipcez"))) {
            Conduit.connect(with("ack=ipcez")).close();
            assertEquals(2, IpcezFixture.semaphoreFiles(endpoint).size());
            listener.accept(WAIT).close();
        }
    }

    @Test
    void ackIpcezIsForUnixSocketsWithoutTheSessionProtocol() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen(with("protocol=conduit&ack=ipcez")));
        assertEquals("endpoint '" + with("protocol=conduit&ack=ipcez") + "': ack=ipcez (ipcez's semaphore"
                + " acknowledgements) cannot be combined with protocol=conduit, which acknowledges in its own frames:"
                + " use protocol=conduit&ack=true, or ack=ipcez alone", both.getMessage());
        IllegalArgumentException tcp = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("tcp://127.0.0.1:1?ack=ipcez"));
        assertEquals("endpoint 'tcp://127.0.0.1:1?ack=ipcez': ack=ipcez works on unix: and bare local endpoints,"
                + " not tcp:", tcp.getMessage());
        IllegalArgumentException heartbeat = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen(with("ack=ipcez&heartbeat=1s")));
        assertEquals("endpoint '" + with("ack=ipcez&heartbeat=1s") + "': heartbeat needs protocol=conduit",
                heartbeat.getMessage());
        assertFalse(IpcezAck.requested(Endpoint.parse(with("ack=true&protocol=conduit"))));
    }

    private static byte[] copy(ByteBuffer view) {
        byte[] b = new byte[view.remaining()];
        view.get(b);
        return b;
    }

}
