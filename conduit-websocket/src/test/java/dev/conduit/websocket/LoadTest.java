package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import dev.conduit.websocket.LoadServerProcess.Stats;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static dev.conduit.websocket.LoadServerProcess.Stats.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many clients at once against a server in a child JVM that serves each connection on a virtual
 * thread, over {@code unix:}, {@code tcp://} and {@code ws://}. Asserts that every echo comes
 * back right, that every client finishes, and that the server's heap stays bounded, also when
 * its consumers are slow or its clients do not read (back-pressure); prints what it measured,
 * one line per run, and never asserts a time. Clients are virtual threads, so the test JVM
 * needs no 500 platform threads and no receiver spins.
 *
 * <p>The default run is small enough for every build; {@code -Pload} runs the {@code load}-tagged
 * twins with more clients, round trips and flooding time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoadTest {
    private static final int MESSAGE_BYTES = 64;
    private static final int FLOOD_MESSAGE_BYTES = 16 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The server's heap: small, so that a per-connection leak or an unbounded queue shows as an OutOfMemoryError. */
    private static final List<String> SERVER_JVM = List.of("-Xmx512m");
    /** What a {@code ws://} connection may keep of received messages no one took (websocket.md, Back-pressure). */
    private static final long WS_INBOX_BYTES = 4L << 20;
    /** What a {@code ws://} connection may keep of messages the socket did not take (websocket.md, Back-pressure). */
    private static final long WS_OUTBOX_BYTES = 1L << 20;

    // ---- request/echo -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    void fiveHundredClientsAtOnceEachGetEveryEchoBack(String transport) throws Exception {
        echo(transport, 500, 200, 5_000);
    }

    @Tag("load")
    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fiveHundredClientsAtOnceEachGetEveryEchoBackLong(String transport) throws Exception {
        echo(transport, 500, 2_000, 50_000);
    }

    private void echo(String transport, int clients, int perClient, int baselineTrips) throws Exception {
        try (TempDir dir = new TempDir();
             LoadServerProcess server = new LoadServerProcess(listenOn(transport, dir), "echo", SERVER_JVM)) {
            String endpoint = server.endpoint();
            Run alone = roundTrips(server, 1, baselineTrips);
            Stats idle = server.stats();
            Run all = roundTrips(server, clients, perClient);
            Stats after = all.serverDuring;
            assertEquals(0, after.get("failures"), "the server on " + endpoint + " failed: " + after.text("firstFailure"));
            assertEquals((long) clients * perClient + baselineTrips, after.get("messages"),
                    "messages the server on " + endpoint + " echoed");
            long growth = after.get("heapUsed") - idle.get("heapUsed");
            System.out.printf("load %s: %d clients x %d = %d round trips in %.2f s: %.0f/s, %.2fx of 1 client's %.0f/s;"
                            + " latency p50 %s p99 %s max %s (1 client: p50 %s p99 %s);"
                            + " connect all %.0f ms; server heap after GC %s idle, %s with %d connected (%+.1f KiB each),"
                            + " peak %s of %s; server threads: %d platform (peak %d), %d carriers (parallelism %d),"
                            + " %d of %d serving virtual threads parked, %d mounted%n",
                    transport, clients, perClient, (long) clients * perClient, all.seconds(), all.perSecond(),
                    all.perSecond() / alone.perSecond(), alone.perSecond(),
                    micros(all.percentile(0.50)), micros(all.percentile(0.99)), micros(all.percentile(1.0)),
                    micros(alone.percentile(0.50)), micros(alone.percentile(0.99)),
                    all.connectNanos / 1e6, mib(idle.get("heapUsed")), mib(after.get("heapUsed")), clients,
                    growth / 1024.0 / clients, mib(after.get("heapPeak")), mib(after.get("heapMax")),
                    after.get("platformThreads"), after.get("peakPlatformThreads"), after.get("carriers"),
                    after.get("parallelism"), after.get("parked"), after.get("serving"), after.get("mounted"));
            assertEquals(clients, after.get("serving"), "connections served on " + endpoint);
            assertEquals(clients, after.get("parked"), "serving threads on " + endpoint + " parked in receive");
            // What an idle connection costs is a few KiB; 256 KiB each would be a leak or a queue that grows.
            long bound = clients * 256L * 1024;
            assertTrue(growth < bound, "heap on " + endpoint + " grew by " + growth + " bytes with " + clients
                    + " connections (bound " + bound + ")");
        }
    }

    /**
     * Connects {@code clients} clients at once, then starts them together; each does
     * {@code perClient} round trips of a 64-byte message and checks every echo. Asks the server
     * for its figures while they are still connected.
     */
    private Run roundTrips(LoadServerProcess server, int clients, int perClient) throws Exception {
        String endpoint = server.endpoint();
        List<Connection> connections = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long connectStart = System.nanoTime();
            connections.addAll(connectAll(threads, endpoint, clients));
            long connectNanos = System.nanoTime() - connectStart;
            long[][] latencies = new long[clients][perClient];
            AtomicReference<String> failure = new AtomicReference<>();
            List<Future<?>> done = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                int client = i;
                done.add(threads.submit(() -> {
                    echoLoop(endpoint, connections.get(client), client, latencies[client], failure);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(WAIT.toSeconds() + perClient / 10, TimeUnit.SECONDS);
            }
            long elapsed = System.nanoTime() - start;
            if (failure.get() != null) {
                fail(failure.get());
            }
            long[] all = new long[clients * perClient];
            for (int i = 0; i < clients; i++) {
                System.arraycopy(latencies[i], 0, all, i * perClient, perClient);
            }
            Arrays.sort(all);
            return new Run(all, elapsed, connectNanos, server.stats());
        } finally {
            closeAll(connections);
        }
    }

    private static void echoLoop(String endpoint, Connection connection, int client, long[] latencies,
            AtomicReference<String> failure) throws IOException {
        byte[] request = new byte[MESSAGE_BYTES];
        for (int i = 0; i < request.length; i++) {
            request[i] = (byte) (i * 31 + client);
        }
        for (int seq = 0; seq < latencies.length && failure.get() == null; seq++) {
            ByteBuffer.wrap(request).putInt(client).putInt(seq);
            long t0 = System.nanoTime();
            connection.send(request);
            byte[] reply = connection.receive(WAIT);
            latencies[seq] = System.nanoTime() - t0;
            if (!Arrays.equals(request, reply)) {
                failure.compareAndSet(null, endpoint + ": client " + client + ", round trip " + seq + ": sent "
                        + Arrays.toString(request) + ", got back " + Arrays.toString(reply));
            }
        }
    }

    // ---- slow consumers -----------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    void clientsFloodingASlowServerAreHeldBackAndItsHeapStaysBounded(String transport) throws Exception {
        flood(transport, 20, Duration.ofMillis(1500));
    }

    @Tag("load")
    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void clientsFloodingASlowServerAreHeldBackAndItsHeapStaysBoundedLong(String transport) throws Exception {
        flood(transport, 500, Duration.ofSeconds(5));
    }

    /**
     * {@code clients} clients each send 16 KiB messages with {@code trySend} as fast as it takes
     * them to a server whose every connection takes one message every 10 ms (so nearly all they
     * send is held back), until every client has been refused and then for {@code saturated}
     * more (at least one round of the ws keeper, which reads for a receiver that is not in
     * {@code receive}). The server's heap must grow by no more than what the transport promises
     * to keep.
     */
    private void flood(String transport, int clients, Duration saturated) throws Exception {
        List<Connection> connections = new ArrayList<>();
        try (TempDir dir = new TempDir();
             LoadServerProcess server = new LoadServerProcess(listenOn(transport, dir), "slow:10000",
                     List.of(System.getProperty("load.serverHeap", "-Xmx512m")));
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            String endpoint = server.endpoint();
            Stats idle = server.stats();
            connections.addAll(connectAll(threads, endpoint, clients));
            server.watch();
            Flood flood = new Flood(clients);
            List<Future<Long>> floods = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                Connection c = connections.get(i);
                int client = i;
                floods.add(threads.submit(() -> flood.run(c, client)));
            }
            try {
                measureFlood(transport, server, idle, saturated, flood, floods);
            } finally {
                // Whatever failed, the flooders must end, or closing their executor waits for ever.
                flood.stopAt(System.nanoTime());
            }
        } finally {
            closeAll(connections);
        }
    }

    /** Lets the clients flood until all were refused and {@code saturated} more; then reports and checks. */
    private static void measureFlood(String transport, LoadServerProcess server, Stats idle, Duration saturated,
            Flood flood, List<Future<Long>> floods) throws Exception {
        String endpoint = server.endpoint();
        int clients = floods.size();
        long start = System.nanoTime();
        // Generous: 500 ws clients must first fill 500 sockets' buffers, megabytes each.
        Waits.until("trySend refused every one of " + clients + " clients of " + endpoint, Duration.ofSeconds(200),
                () -> flood.refused.get() == clients);
        long refusedAfter = System.nanoTime() - start;
        flood.stopAt(System.nanoTime() + saturated.toNanos());
        long sent = 0;
        for (Future<Long> f : floods) {
            sent += f.get(saturated.toSeconds() + WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        Stats during = server.stats();
        long growth = during.get("watchedHeap") - idle.get("heapUsed");
        long taken = during.get("bytes");
        System.out.printf("flood %s: %d clients sent %s with trySend; all had been refused after %.1f s,"
                        + " then flooded %.1f s more; the slow server took %s, %s held back (%.0f KiB per connection);"
                        + " server heap after GC %s idle, at most %s while flooded (%+.1f KiB per connection),"
                        + " peak %s of %s, direct %s; ws inboxes at most %s; %d platform threads, %d carriers%n",
                transport, clients, mib(sent), refusedAfter / 1e9, saturated.toMillis() / 1e3, mib(taken),
                mib(sent - taken), (sent - taken) / 1024.0 / clients, mib(idle.get("heapUsed")),
                mib(during.get("watchedHeap")), growth / 1024.0 / clients, mib(during.get("heapPeak")),
                mib(during.get("heapMax")), mib(during.get("direct")), mib(during.get("watchedWsInboxes")),
                during.get("platformThreads"), during.get("carriers"));
        assertEquals(0, during.get("failures"), "the server on " + endpoint + " failed: " + during.text("firstFailure"));
        // Stream sockets keep what is in flight in the kernel; ws keeps up to 4 MiB per inbox in the heap,
        // a sixteenth of the heap for all inboxes together, then one read (64 KiB) for an empty one. Netty's
        // pool holds about as much again in part-used chunks (29 MiB of inboxes came with 62 MiB more heap).
        long inboxes = Math.min(clients * WS_INBOX_BYTES, Math.max(WS_INBOX_BYTES, during.get("heapMax") / 16));
        long bound = (transport.equals("ws") ? 2 * inboxes + clients * 64L * 1024 : 0) + clients * 256L * 1024
                + (16L << 20);
        assertTrue(growth < bound, "heap on " + endpoint + " grew by " + growth + " bytes with " + clients
                + " clients flooding slow consumers (bound " + bound + ")");
    }

    /** Clients sending as fast as {@code trySend} takes messages, until told when to stop. */
    private static final class Flood {
        private final AtomicInteger refused = new AtomicInteger();
        private final boolean[] wasRefused;
        private volatile long stopAt;
        private volatile boolean stopping;

        Flood(int clients) {
            this.wasRefused = new boolean[clients];
        }

        void stopAt(long nanoTime) {
            stopAt = nanoTime;
            stopping = true;
        }

        /** @return the bytes {@code trySend} took */
        long run(Connection connection, int client) throws IOException {
            byte[] message = new byte[FLOOD_MESSAGE_BYTES];
            long sent = 0;
            while (!stopping || System.nanoTime() - stopAt < 0) {
                if (connection.trySend(message)) {
                    sent += message.length;
                } else {
                    if (!wasRefused[client]) {
                        wasRefused[client] = true;
                        refused.incrementAndGet();
                    }
                    // Refused: the connection is full; look again soon rather than spin a carrier.
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                }
            }
            return sent;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    void aServerFloodingClientsThatDoNotReadIsHeldBackAndItsHeapStaysBounded(String transport) throws Exception {
        push(transport, 100);
    }

    @Tag("load")
    @ParameterizedTest
    @ValueSource(strings = {"unix", "tcp", "ws"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aServerFloodingClientsThatDoNotReadIsHeldBackAndItsHeapStaysBoundedLong(String transport) throws Exception {
        push(transport, 500);
    }

    /**
     * The server sends 16 KiB messages with a blocking {@code send} to {@code clients} clients
     * that never receive: once every sender is parked (back-pressure), the server's heap must
     * hold no more than what the transport promises to queue per connection.
     */
    private void push(String transport, int clients) throws Exception {
        List<Connection> connections = new ArrayList<>();
        try (TempDir dir = new TempDir();
             LoadServerProcess server = new LoadServerProcess(listenOn(transport, dir), "push:" + FLOOD_MESSAGE_BYTES,
                     SERVER_JVM);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            String endpoint = server.endpoint();
            Stats idle = server.stats();
            connections.addAll(connectAll(threads, endpoint, clients));
            // Generous: 500 loopback TCP connections fill megabytes of kernel buffers each, and push the
            // kernel past its tcp_mem pressure threshold here.
            Waits.until("all " + clients + " senders of the server on " + endpoint + " are parked in send",
                    Duration.ofSeconds(200), () -> {
                        try {
                            return server.allParked(clients);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
            Stats blocked = server.stats();
            long growth = blocked.get("heapUsed") - idle.get("heapUsed");
            System.out.printf("push %s: the server sent %s to %d clients that do not read, then all its senders"
                            + " parked; server heap after GC %s idle, %s then (%+.1f KiB per connection), peak %s"
                            + " of %s, direct %s; %d platform threads, %d carriers%n",
                    transport, mib(blocked.get("bytes")), clients, mib(idle.get("heapUsed")),
                    mib(blocked.get("heapUsed")), growth / 1024.0 / clients, mib(blocked.get("heapPeak")),
                    mib(blocked.get("heapMax")), mib(blocked.get("direct")), blocked.get("platformThreads"),
                    blocked.get("carriers"));
            assertEquals(0, blocked.get("failures"), "the server on " + endpoint + " failed: " + blocked.text("firstFailure"));
            long perConnection = (transport.equals("ws") ? WS_OUTBOX_BYTES : 0) + 256 * 1024;
            long bound = clients * perConnection + (16L << 20);
            assertTrue(growth < bound, "heap on " + endpoint + " grew by " + growth + " bytes with " + clients
                    + " clients not reading (bound " + bound + ")");
        } finally {
            closeAll(connections);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static String listenOn(String transport, TempDir dir) {
        return switch (transport) {
            case "unix" -> "unix:" + dir.resolve("load.sock");
            case "tcp" -> "tcp://127.0.0.1:0";
            case "ws" -> "ws://127.0.0.1:0/load";
            default -> throw new IllegalArgumentException("transport=" + transport + " (expected: unix, tcp, ws)");
        };
    }

    /** Connects {@code clients} clients at once, each on a virtual thread; closes them all if one fails. */
    private static List<Connection> connectAll(ExecutorService threads, String endpoint, int clients) throws Exception {
        List<Future<Connection>> pending = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            pending.add(threads.submit(() -> Conduit.connect(endpoint, WAIT)));
        }
        List<Connection> connections = new ArrayList<>();
        try {
            for (Future<Connection> f : pending) {
                connections.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            return connections;
        } catch (Exception e) {
            for (Future<Connection> f : pending) {
                f.cancel(true);
            }
            closeAll(connections);
            throw e;
        }
    }

    private static void closeAll(List<Connection> connections) {
        try (ExecutorService closers = Executors.newVirtualThreadPerTaskExecutor()) {
            // In parallel: a ws close waits up to 2 s for the peer's close frame.
            for (Connection c : connections) {
                closers.submit(() -> {
                    c.close();
                    return null;
                });
            }
        }
    }

    private static String micros(long nanos) {
        return nanos < 10_000_000 ? String.format("%.0f µs", nanos / 1e3) : String.format("%.1f ms", nanos / 1e6);
    }

    /** One run's sorted latencies and times, and the server's figures taken while its clients were connected. */
    private record Run(long[] sorted, long nanos, long connectNanos, Stats serverDuring) {
        double seconds() {
            return nanos / 1e9;
        }

        double perSecond() {
            return sorted.length / seconds();
        }

        long percentile(double p) {
            return sorted[(int) Math.ceil(p * sorted.length) - 1];
        }
    }
}
