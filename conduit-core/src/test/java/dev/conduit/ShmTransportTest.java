package dev.conduit;

import dev.conduit.internal.posix.Processes;
import dev.conduit.internal.shm.ShmTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shm:} runs the whole contract with rings of 64 KiB, so that 1 MiB messages go in
 * pieces and a few hundred small ones fill a ring; and leaves nothing behind in {@code /dev/shm}.
 */
class ShmTransportTest extends ListenerContract {
    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    @Override
    protected String endpoint() {
        return "shm:t" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000 + "?maxFrame=1m&size=64k";
    }

    /** The ring objects this process made: there must be none once connections are set up. */
    private static List<Path> ourRings() throws Exception {
        try (Stream<Path> entries = Files.list(Path.of("/dev/shm"))) {
            return entries.filter(p -> p.getFileName().toString().startsWith("conduit-" + Processes.getpid() + "-"))
                    .toList();
        }
    }

    @AfterEach
    void nothingLeftInDevShm() throws Exception {
        assertEquals(List.of(), ourRings(), "ring objects left in /dev/shm");
    }

    @Test
    void ringsAreUnlinkedOnceBothSidesMappedThem() throws Exception {
        Connection[] p = pair();
        assertEquals(List.of(), ourRings());
        p[0].send("still works");
        assertEquals("still works", p[1].receiveString(Duration.ofSeconds(5)));
    }

    @Test
    void theHandshakeSocketDeletedUnderAListenerStopsOnlyNewClients() throws Exception {
        // The rings are unlinked once mapped, so the one file there is to delete is the socket.
        Listener first = listen();
        Connection client = track(Conduit.connect(first.endpoint(), Duration.ofSeconds(5)));
        Connection server = track(first.accept(Duration.ofSeconds(10)));
        Path socket = ShmTransport.socketPath(first.endpoint());
        Files.delete(socket);
        client.send("still works");
        assertEquals("still works", server.receiveString(Duration.ofSeconds(5)));
        IOException refused = assertThrows(IOException.class, () -> Conduit.connect(first.endpoint(), Duration.ZERO));
        assertTrue(refused.getMessage().contains("no socket file at " + socket), refused.getMessage());
        // A new listener may take the name; the old one's close must leave the new socket alone.
        try (Listener second = Conduit.listen(first.endpoint())) {
            first.close();
            assertTrue(Files.exists(socket), "closing the first listener removed the second's socket");
            try (Connection again = Conduit.connect(second.endpoint(), Duration.ofSeconds(5));
                 Connection served = second.accept(Duration.ofSeconds(10))) {
                again.send("second");
                assertEquals("second", served.receiveString(Duration.ofSeconds(5)));
            }
        }
        assertTrue(Files.notExists(socket), "the second listener left its socket");
    }

    @Test
    void aMessageMuchLongerThanTheRingGoesInPiecesBothWays() throws Exception {
        Connection[] p = pair();
        byte[] big = message(11, 1 << 20);
        CompletableFuture<Void> sent = async(() -> {
            p[0].send(big);
            p[1].send(big);
        });
        assertArrayEquals(big, p[1].receive(Duration.ofSeconds(20)));
        assertArrayEquals(big, p[0].receive(Duration.ofSeconds(20)));
        sent.get(20, TimeUnit.SECONDS);
    }

    @Test
    void badNamesAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:a/b"));
        assertTrue(e.getMessage().contains("contains '/'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:.."));
        assertTrue(e.getMessage().contains("'..'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:" + "n".repeat(65)));
        assertTrue(e.getMessage().contains("65 bytes long; the limit is 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen("shm:x?size=5000"));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
    }

    @Test
    void aPlainUnixClientOnTheHandshakeSocketIsDroppedAndTheListenerGoesOn() throws Exception {
        Listener listener = listen();
        Path socket = ShmTransport.socketPath(listener.endpoint());
        try (Connection stranger = Conduit.connect("unix:" + socket)) {
            CompletableFuture<Connection> accepted = async(() -> listener.accept(Duration.ofSeconds(10)));
            stranger.send("hello?");
            byte[] answer = stranger.receive(Duration.ofSeconds(5));
            assertTrue(new String(answer).startsWith("conduit-shm error"), new String(answer));
            Connection real = track(Conduit.connect(listener.endpoint().toString()));
            Connection served = track(accepted.get(10, TimeUnit.SECONDS));
            real.send("ok");
            assertEquals("ok", served.receiveString(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aReceiverBlockedOnAnIdleConnectionSleepsInsteadOfSpinning() throws Exception {
        Connection[] p = pair();
        // java.management is not in this module's graph: reach it by reflection.
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method cpuTime = Class.forName("java.lang.management.ThreadMXBean").getMethod("getCurrentThreadCpuTime");
        long[] cpu = new long[1];
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                long before = (long) cpuTime.invoke(threads);
                assertNull(p[1].receive(Duration.ofSeconds(2)));
                cpu[0] = (long) cpuTime.invoke(threads) - before;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        });
        receiver.join(Duration.ofSeconds(10));
        assertTrue(cpu[0] > 0 && cpu[0] < TimeUnit.MILLISECONDS.toNanos(100),
                "2 s of waiting took " + cpu[0] / 1000 + " µs of CPU");
    }

    @Test
    void aKilledPeerIsNoticedWithinAFewLivenessChecks() throws Exception {
        Connection survivor = track(killablePeer());
        CompletableFuture<Throwable> blocked = failureOf(survivor::receive);
        lastChild().destroyForcibly();
        lastChild().waitFor(10, TimeUnit.SECONDS);
        long dead = System.nanoTime();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - dead);
        assertInstanceOf(ConnectionClosedException.class, t);
        // Checks come every 50 ms; the bound leaves room for a loaded machine.
        assertTrue(noticedMillis < 2000, "noticed " + noticedMillis + " ms after the peer died");
    }

    /** The same contract with pure blocking: every wait sleeps on the futex at once. */
    @Nested
    class Blocking extends ListenerContract {
        @Override
        protected String endpoint() {
            return ShmTransportTest.this.endpoint() + "&spin=0";
        }
    }

    /** The same contract with pure spinning: no wait ever sleeps. */
    @Nested
    class Spinning extends ListenerContract {
        @Override
        protected String endpoint() {
            return ShmTransportTest.this.endpoint() + "&spin=forever";
        }
    }
}
