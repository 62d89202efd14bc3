package dev.conduit;

import dev.conduit.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The behaviour every two-way transport must have: {@link OneWayContract} from client to
 * server, and what connections add (both ways, a closed or killed peer). A subclass provides
 * connected pairs and, where the transport crosses processes, a peer in a child JVM that the
 * test can kill with SIGKILL.
 */
public abstract class TransportContract extends OneWayContract {
    /** Processes to kill after each test, whatever happened. */
    private final List<Process> children = new ArrayList<>();

    /** @return a connected pair: [0] the client, [1] the server (or the other end) */
    protected abstract Connection[] pair() throws Exception;

    /**
     * A peer in another process, connected, that will neither read nor close.
     *
     * @return the survivor's end of the connection, after the peer said {@code ready}
     */
    protected abstract Connection killablePeer() throws Exception;

    /** @return the process behind the last {@link #killablePeer()} */
    protected final Process lastChild() {
        return children.getLast();
    }

    /** Records a child so it is killed after the test. */
    protected final Process track(Process child) {
        children.add(child);
        return child;
    }

    /** The client sends, the server receives; {@link #maxFrame()} is set on both. */
    @Override
    protected final Ends ends() throws Exception {
        Connection[] p = pair();
        return new Ends(p[0], p[1]);
    }

    /** Runs before {@link OneWayContract}'s clean-up, which closes the connections. */
    @AfterEach
    void killChildren() {
        children.forEach(ChildJvm::kill);
    }

    private Connection[] trackedPair() throws Exception {
        Connection[] p = pair();
        track(p[0]);
        track(p[1]);
        return p;
    }

    @Test
    void deliversMessagesInOrderBothWays() throws Exception {
        Connection[] p = trackedPair();
        int count = 2000;
        CompletableFuture<Void> sender = async(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    p[0].send(message(i, 1 + i % 300));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        CompletableFuture<Integer> echoes = async(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    assertArrayEquals(message(i, 1 + i % 300), p[0].receive(), "echo " + i);
                }
                return count;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        for (int i = 0; i < count; i++) {
            byte[] m = p[1].receive();
            assertArrayEquals(message(i, 1 + i % 300), m, "message " + i);
            p[1].send(m);
        }
        sender.get(30, TimeUnit.SECONDS);
        assertEquals(count, echoes.get(30, TimeUnit.SECONDS));
    }

    @Test
    void isOpenUntilThePeerCloseIsSeen() throws Exception {
        Connection[] p = trackedPair();
        p[0].send("last");
        p[0].close();
        assertFalse(p[0].isOpen());
        assertTrue(p[1].isOpen(), "open before anything was received");
        assertEquals("last", p[1].receiveString(Duration.ofSeconds(10)));
        assertTrue(p[1].isOpen(), "open until the close is seen");
        assertThrows(ConnectionClosedException.class, () -> p[1].receive(Duration.ofSeconds(10)));
        assertFalse(p[1].isOpen(), "still open after the peer's close was seen");
    }

    @Test
    void sendingToAClosedPeerFails() throws Exception {
        Connection[] p = trackedPair();
        p[1].close();
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                p[0].send(new byte[1024]);
            }
        });
        assertTrue(e.getMessage().startsWith(p[0].endpoint().toString().split("\\?")[0])
                || e.getMessage().startsWith("spawn:"), e.getMessage());
    }

    @Test
    void closingLocallyEndsBlockedCallsAndIsIdempotent() throws Exception {
        Connection[] p = trackedPair();
        CompletableFuture<Throwable> blocked = failureOf(p[1]::receive);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "receive returned without a message");
        p[1].close();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ConnectionClosedException.class, t);
        assertTrue(t.getMessage().contains("closed locally"), t.getMessage());
        p[1].close();
        assertFalse(p[1].isOpen());
        assertThrows(ConnectionClosedException.class, () -> p[1].send("x"));
        assertThrows(ConnectionClosedException.class, p[1]::tryReceive);
    }

    @Test
    void peerKilledEndsBlockedReceive() throws Exception {
        Connection survivor = track(killablePeer());
        CompletableFuture<Throwable> blocked = failureOf(survivor::receive);
        assertFalse(awaitDone(blocked, Duration.ofMillis(100)), "receive returned without a message");
        ChildJvm.kill(lastChild());
        assertInstanceOf(ConnectionClosedException.class, blocked.get(5, TimeUnit.SECONDS));
    }

    @Test
    void peerKilledEndsBlockedSend() throws Exception {
        Connection survivor = track(killablePeer());
        CompletableFuture<Throwable> blocked = failureOf(() -> {
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                survivor.send(chunk);
            }
        });
        assertFalse(awaitDone(blocked, Duration.ofMillis(300)), "send never blocked on a peer that does not read");
        ChildJvm.kill(lastChild());
        assertInstanceOf(ConnectionClosedException.class, blocked.get(5, TimeUnit.SECONDS));
    }

    /**
     * The receive paths on virtual threads, where the socket transports spin, yielding their
     * carrier, before they park: a ping-pong whose ends are both virtual threads, a receive that
     * outlasts any spin and parks, and the calls that return at once or time out.
     */
    @Test
    void receivePathsWorkOnVirtualThreads() throws Exception {
        Connection[] p = trackedPair();
        int count = 500;
        CompletableFuture<Void> echo = onVirtualThread(() -> {
            for (int i = 0; i < count + 2; i++) {
                p[1].send(p[1].receive());
            }
        });
        CompletableFuture<Void> client = onVirtualThread(() -> {
            assertNull(p[0].tryReceive());
            assertNull(p[0].receive(Duration.ofMillis(20)));
            assertEquals(0, p[0].poll(m -> fail("no message expected"), 10, Duration.ofMillis(20)));
            for (int i = 0; i < count; i++) {
                byte[] m = message(i, 1 + i % 200);
                p[0].send(m);
                assertArrayEquals(m, p[0].receive(), "echo " + i);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // The echo side parks.
            p[0].send("late");
            assertEquals("late", p[0].receiveString(Duration.ofSeconds(10)));
            p[0].send("polled");
            List<String> got = new ArrayList<>();
            assertEquals(1, p[0].poll(v -> got.add(StandardCharsets.UTF_8.decode(v).toString()), 10,
                    Duration.ofSeconds(10)));
            assertEquals(List.of("polled"), got);
        });
        client.get(30, TimeUnit.SECONDS);
        echo.get(30, TimeUnit.SECONDS);
    }

    private static CompletableFuture<Void> onVirtualThread(VoidTask task) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                task.run();
                future.complete(null);
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }
}
