package dev.conduit;

import dev.conduit.internal.reconnect.ReconnectPolicy;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.CuttableProxy;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Tracked;
import dev.conduit.testing.TestPeers;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ?reconnect=true}: a client that dials again after losing its peer, on every two-way transport here. */
@Timeout(60)
class ReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FAST = "reconnect=true&reconnectDelay=10ms&reconnectMaxDelay=100ms";

    private final Tracked open = new Tracked();
    private TempDir dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = track(new TempDir());
    }

    @AfterEach
    void closeAll() throws Exception {
        open.closeAll();
    }

    private <T extends AutoCloseable> T track(T c) {
        return open.add(c);
    }

    private String endpoint(String transport) {
        long n = System.nanoTime() % 1_000_000;
        return switch (transport) {
            case "unix" -> "unix:" + dir.resolve("r" + n + ".sock");
            case "unix-session" -> "unix:" + dir.resolve("s" + n + ".sock") + "?protocol=conduit";
            case "pipe" -> "pipe:conduit-reconnect-" + ProcessHandle.current().pid() + "-" + n;
            case "tcp" -> "tcp://127.0.0.1:0";
            case "shm" -> "shm:reconnect" + n + "?size=64k";
            case "mem" -> "mem:reconnect" + n;
            default -> throw new IllegalArgumentException(transport);
        };
    }

    private static String with(Endpoint listening, String options) {
        String text = listening.toString();
        return text + (text.contains("?") ? "&" : "?") + options;
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "unix-session", "pipe", "tcp", "shm", "mem"})
    void aClientDialsAgainWhenItsConnectionEnds(String transport) throws Exception {
        Listener listener = track(Conduit.listen(endpoint(transport)));
        Connection client = track(Conduit.connect(with(listener.endpoint(), FAST), WAIT));
        Connection first = track(listener.accept(WAIT));
        client.send("before");
        assertEquals("before", first.receiveString(WAIT));

        CompletableFuture<String> after = CompletableFuture.supplyAsync(() -> receive(client));
        first.close();
        Connection second = track(listener.accept(WAIT));
        assertNotNull(second, "the client did not dial again");
        second.send("after");
        assertEquals("after", after.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        client.send("back");
        assertEquals("back", second.receiveString(WAIT));
        assertTrue(client.isOpen());
    }

    private static String receive(Connection c) {
        try {
            return c.receiveString(WAIT);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSendWhileDownFailsAfterDownTimeoutAndTheConnectionGoesOnTrying() throws Exception {
        String at = endpoint("unix");
        Listener listener = Conduit.listen(at);
        Connection client = track(Conduit.connect(with(listener.endpoint(), FAST + "&downTimeout=200ms"), WAIT));
        listener.accept(WAIT).close();
        listener.close();

        ConnectionDownException e = assertThrows(ConnectionDownException.class, () -> sendUntilRefused(client));
        assertEquals(client.endpoint() + ": send: the connection is down and did not come back within downTimeout"
                + " 200 ms; still trying", e.getMessage());
        assertTrue(client.isOpen(), "a send that timed out ended the connection");

        Listener again = track(Conduit.listen(at));
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> send(client, "at last"));
        Connection server = track(again.accept(WAIT));
        assertEquals("at last", server.receiveString(WAIT));
        sent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Sends until a send fails: the first sends after a peer's close may still be taken by the kernel. */
    private static void sendUntilRefused(Connection c) throws IOException {
        for (int i = 0; i < 1_000; i++) {
            c.send("while down " + i);
        }
    }

    private static void send(Connection c, String message) {
        try {
            c.send(message);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void itGivesUpAfterReconnectGiveUpAndEveryCallThenFails() throws Exception {
        Listener listener = Conduit.listen(endpoint("tcp"));
        Connection client = track(Conduit.connect(with(listener.endpoint(),
                "reconnect=true&reconnectDelay=20ms&reconnectGiveUp=300ms"), WAIT));
        listener.accept(WAIT).close();
        listener.close();

        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> client.receive(WAIT));
        assertTrue(e.getMessage().startsWith(client.endpoint() + ": receive: gave up reconnecting after "),
                e.getMessage());
        assertTrue(e.getMessage().contains("(reconnectGiveUp 300 ms); the last failure: "), e.getMessage());
        assertFalse(client.isOpen());
        assertThrows(ConnectionClosedException.class, () -> client.send("too late"));
    }

    @Test
    void aServerKilledAndStartedAgainIsReachedAgain() throws Exception {
        String at = endpoint("unix");
        Process server = startEchoListener(at);
        Connection client = track(Conduit.connect(at + "?" + FAST, WAIT));
        client.send("one");
        assertEquals("one", client.receiveString(WAIT));

        server.destroyForcibly().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
        CompletableFuture<String> echoed = CompletableFuture.supplyAsync(() -> {
            send(client, "two");
            return receive(client);
        });
        startEchoListener(at);
        assertEquals("two", echoed.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    private Process startEchoListener(String at) throws IOException {
        Process child = ChildJvm.builder(TestPeers.class, "echo-listener", at).start();
        open.add(() -> child.destroyForcibly().waitFor(10, TimeUnit.SECONDS));
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine(), "the echo listener did not start");
        return child;
    }

    /** The listener took the message and acknowledged it, but the ACK was lost with the connection. */
    @Test
    void aMessageSentAgainAfterItsAckWasLostIsNotDeliveredTwice() throws Exception {
        Resumable r = resumable();
        Listener listener = r.listener();
        CuttableProxy proxy = r.proxy();
        Connection client = r.client();
        Connection first = r.first();
        CompletableFuture<Void> zero = CompletableFuture.runAsync(() -> send(client, "zero"));
        assertEquals("zero", first.receiveString(WAIT));
        zero.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        proxy.dropReplies(true);
        CompletableFuture<Void> one = CompletableFuture.runAsync(() -> send(client, "one"));
        assertEquals("one", first.receiveString(WAIT));
        proxy.dropReplies(false);
        proxy.cut();

        Connection second = track(listener.accept(WAIT));
        assertNotNull(second, "the client did not dial again");
        one.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        CompletableFuture<Void> two = CompletableFuture.runAsync(() -> send(client, "two"));
        assertEquals("two", second.receiveString(WAIT), "the copy of 'one' was delivered again");
        two.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The message reached the listener, whose application had not taken it when the connection was lost. */
    @Test
    void aMessageSentAgainBeforeItWasTakenIsDeliveredOnceFromTheNewConnection() throws Exception {
        Resumable r = resumable();
        Listener listener = r.listener();
        CuttableProxy proxy = r.proxy();
        Connection client = r.client();
        Connection first = r.first();
        CompletableFuture<Void> one = CompletableFuture.runAsync(() -> send(client, "one"));
        // The client's HELLO (4 + 18 bytes), RESUME (4 + 9) and DATA "one" (4 + 9 + 3).
        Waits.until("the message reached the listener's side", WAIT, () -> proxy.relayedToListener() >= 51);
        proxy.cut();

        Connection second = track(listener.accept(WAIT));
        assertNotNull(second, "the client did not dial again");
        assertEquals("one", second.receiveString(WAIT));
        one.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThrows(ConnectionClosedException.class, () -> first.receive(WAIT),
                "the old connection's copy was delivered too");
    }

    /** A session listener, a relay to it, a client with acknowledgements that reconnects through it, and its first connection. */
    private record Resumable(Listener listener, CuttableProxy proxy, Connection client, Connection first) {
    }

    private Resumable resumable() throws IOException {
        Listener listener = track(Conduit.listen("tcp://127.0.0.1:0?protocol=conduit"));
        CuttableProxy proxy = track(new CuttableProxy(port(listener)));
        Connection client = track(Conduit.connect("tcp://127.0.0.1:" + proxy.port()
                + "?protocol=conduit&ack=true&" + FAST, WAIT));
        return new Resumable(listener, proxy, client, track(listener.accept(WAIT)));
    }

    private static InetSocketAddress port(Listener listener) {
        String a = listener.endpoint().address();
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
    }

    @Test
    void optionsAreCheckedAndAListenerRefusesThem() {
        IllegalArgumentException listen = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen(endpoint("tcp") + "?reconnect=true"));
        assertTrue(listen.getMessage().contains("listen: reconnect is a client's option"), listen.getMessage());
        IllegalArgumentException alone = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("tcp://127.0.0.1:1?reconnectDelay=1s"));
        assertEquals("endpoint 'tcp://127.0.0.1:1?reconnectDelay=1s': reconnectDelay needs reconnect=true",
                alone.getMessage());
        IllegalArgumentException jitter = assertThrows(IllegalArgumentException.class,
                () -> ReconnectPolicy.of(Endpoint.parse("tcp://h:1?reconnect=true&reconnectJitter=2")));
        assertEquals("endpoint 'tcp://h:1?reconnect=true&reconnectJitter=2': reconnectJitter=2 (expected a fraction"
                + " from 0 to 1, e.g. 0.2)", jitter.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReconnectPolicy.of(
                Endpoint.parse("tcp://h:1?reconnect=true&reconnectDelay=10s&reconnectMaxDelay=1s")));
        assertThrows(IllegalArgumentException.class,
                () -> ReconnectPolicy.of(Endpoint.parse("tcp://h:1?reconnect=true&reconnectGiveUp=soon")));
    }

    @Test
    void theWaitsDoubleUpToTheMaximumAndTheJitterStaysWithinItsFraction() {
        ReconnectPolicy policy = ReconnectPolicy.of(Endpoint.parse(
                "tcp://h:1?reconnect=true&reconnectDelay=100ms&reconnectMaxDelay=1s&reconnectJitter=0.5"));
        RandomGenerator middle = fixed(0.5);
        long ms = 1_000_000;
        assertEquals(List.of(100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms, 1000 * ms),
                List.of(policy.delayNanos(1, middle), policy.delayNanos(2, middle), policy.delayNanos(3, middle),
                        policy.delayNanos(4, middle), policy.delayNanos(5, middle), policy.delayNanos(60, middle)));
        assertEquals(50 * ms, policy.delayNanos(1, fixed(0)));
        assertEquals(150 * ms, policy.delayNanos(1, fixed(1)));
        assertEquals(1000 * ms, policy.delayNanos(9, fixed(1)), "the jitter never goes past the maximum");
        assertEquals(Long.MAX_VALUE, policy.giveUpNanos());
        assertEquals(5_000 * ms, policy.downTimeoutNanos());
    }

    private static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }
}
