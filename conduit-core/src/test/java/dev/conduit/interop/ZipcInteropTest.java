package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.ConnectionClosedException;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.internal.posix.Shm;
import dev.conduit.testing.CPeer;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zipc:} against {@code interop/c/zipc_peer.c}, a ZIPC program on {@code interop/c/zipc.h}
 * (ZIPC's documented C API, implemented from the layout in {@code docs/zipc.md}): messages both
 * ways, an empty message, a full queue both ways, a C receiver in {@code zipc_receive_blocking}
 * woken by a Java send through the futex, and a Java receiver ending when its C sender is killed.
 * Built with the gcc on {@code PATH}; without one the tests are skipped, saying so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZipcInteropTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static String unavailable;
    private static TempDir build;
    private static Path binary;

    private String name;
    private final List<Process> peers = new ArrayList<>();
    private final List<AutoCloseable> ends = new ArrayList<>();

    @BeforeAll
    static void compilePeer() throws Exception {
        build = new TempDir();
        binary = build.resolve("zipc_peer");
        unavailable = CPeer.build(ZipcInteropTest.class, binary, "zipc_peer.c", "zipc.c");
    }

    @AfterAll
    static void removeBuild() throws IOException {
        build.close();
        assertFalse(Files.exists(build.path()), "left behind: " + build.path());
    }

    @BeforeEach
    void name() {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        name = "/zi" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
    }

    @AfterEach
    void nothingLeftBehind() throws Exception {
        peers.forEach(ChildJvm::kill);
        for (AutoCloseable end : ends.reversed()) {
            end.close();
        }
        try {
            Shm.unlink(name);
        } catch (IOException e) {
            // Removed by the last end to close, as it should be.
        }
    }

    private Process peer(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        peers.add(p);
        return p;
    }

    private static BufferedReader lines(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private <T extends AutoCloseable> T end(T end) {
        ends.add(end);
        return end;
    }

    private static String exited(Process p) throws InterruptedException {
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the C peer did not exit");
        return "exit " + p.exitValue();
    }

    @Test
    void aCSenderReachesJavaAnEmptyMessageIncludedThenItsExitEndsTheStream() throws Exception {
        MessageReceiver receiver = end(Conduit.openReceiver("zipc:" + name + "?slots=8&slotSize=64"));
        Process c = peer("send", name, "8", "64", "hello", "", "world");
        assertEquals("hello", receiver.receiveString(Duration.ofSeconds(20)));
        assertArrayEquals(new byte[0], receiver.receive(Duration.ofSeconds(20)));
        assertEquals("world", receiver.receiveString(Duration.ofSeconds(20)));
        assertEquals("sent 3 full-waits 0", lines(c).readLine());
        assertEquals("exit 0", exited(c));
        assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(10)));
    }

    @Test
    void javaReachesACReceiverWhichTellsAnEmptyMessageFromNone() throws Exception {
        Process c = peer("recv", name, "8", "64", "4", "900");
        BufferedReader out = lines(c);
        assertEquals("ready /dev/shm" + name, out.readLine());
        try (MessageSender sender = Conduit.openSender("zipc:" + name + "?slots=8&slotSize=64")) {
            sender.send("one");
            sender.send(new byte[0]);
            sender.send("three");
            assertEquals("msg 3 one", out.readLine());
            assertEquals("empty", out.readLine());
            assertEquals("msg 5 three", out.readLine());
            assertEquals("timeout", out.readLine(), "no fourth message: zipc_receive left the pointer NULL");
        }
        assertTrue(out.readLine().startsWith("woken "));
        assertEquals("exit 0", exited(c));
    }

    @Test
    void aFullQueueHoldsTheCSenderBackAndLosesNothing() throws Exception {
        MessageReceiver receiver = end(Conduit.openReceiver("zipc:" + name + "?slots=4&slotSize=16"));
        Process c = peer("fill", name, "4", "16", "50");
        // Not reading until the C sender has found the queue full and waits in its loop.
        Waits.until("the C sender finds three messages in four slots", Duration.ofSeconds(20),
                () -> Files.exists(Path.of("/dev/shm" + name)) && Waits.isAsleep(c) && peekTail() == 3);
        for (int i = 0; i < 50; i++) {
            assertEquals("m" + i, receiver.receiveString(Duration.ofSeconds(20)), "message " + i);
        }
        String report = lines(c).readLine();
        assertTrue(report.startsWith("sent 50 full-waits ") && !report.endsWith(" 0"), report);
        assertEquals("exit 0", exited(c));
    }

    /** @return the tail word, read from the object as a file */
    private int peekTail() {
        try {
            byte[] header = Files.readAllBytes(Path.of("/dev/shm" + name));
            return header.length < 68 ? -1 : java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getInt(64);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void aFullQueueHoldsTheJavaSenderBackUntilTheCReceiverTakes() throws Exception {
        MessageSender sender = end(Conduit.openSender("zipc:" + name + "?slots=4&slotSize=16"));
        for (int i = 0; i < 3; i++) {
            assertTrue(sender.trySend("m" + i));
        }
        assertFalse(sender.trySend("m3"), "a fourth message in four slots");
        Process c = peer("recv", name, "4", "16", "40", "900");
        for (int i = 3; i < 40; i++) {
            sender.send("m" + i);
        }
        BufferedReader out = lines(c);
        assertTrue(out.readLine().startsWith("ready "));
        for (int i = 0; i < 40; i++) {
            assertEquals("msg " + ("m" + i).length() + " m" + i, out.readLine(), "message " + i);
        }
        assertEquals("exit 0", exited(c));
    }

    @Test
    void aJavaSendWakesACReceiverBlockedInZipcReceiveBlocking() throws Exception {
        Process c = peer("recv", name, "8", "64", "1", "900");
        BufferedReader out = lines(c);
        assertTrue(out.readLine().startsWith("ready "));
        try (MessageSender sender = Conduit.openSender("zipc:" + name + "?slots=8&slotSize=64")) {
            Waits.until("the C receiver sleeps in FUTEX_WAIT on the tail", Duration.ofSeconds(5),
                    () -> Waits.isAsleep(c) && peekWaiters() == 1);
            sender.send("wake up");
            assertEquals("msg 7 wake up", out.readLine());
            assertEquals("woken 1", out.readLine(), "the C receiver's futex wait ended by a FUTEX_WAKE");
        }
        assertEquals("exit 0", exited(c));
    }

    /** @return the waiters word at offset 68 */
    private int peekWaiters() {
        try {
            byte[] header = Files.readAllBytes(Path.of("/dev/shm" + name));
            return header.length < 72 ? -1 : java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getInt(68);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void aJavaReceiverEndsWhenItsCSenderIsKilled() throws Exception {
        MessageReceiver receiver = end(Conduit.openReceiver("zipc:" + name));
        Process c = peer("send", name, "64", "1536", "--hold", "alive");
        assertEquals("alive", receiver.receiveString(Duration.ofSeconds(20)));
        assertEquals("sent 1 full-waits 0", lines(c).readLine());
        assertNull(receiver.receive(Duration.ofMillis(200)), "a live C sender with nothing to say is not gone");
        c.destroyForcibly();
        assertTrue(c.waitFor(10, TimeUnit.SECONDS));
        assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(10)));
    }
}
