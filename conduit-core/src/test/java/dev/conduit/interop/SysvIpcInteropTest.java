package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.internal.mq.SysvQueue;
import dev.conduit.queue.MessageQueue;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.PythonPeer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * System V message queues shared with Python's {@code sysv_ipc} (Debian's
 * {@code python3-sysv-ipc}, which {@code .ci/run} installs; seen by {@code /usr/bin/python3}),
 * through {@code interop/python/sysv_peer.py}: typed messages each way, taken by type, by
 * priority and in order, through {@link MessageQueue} and through {@code mq:} endpoints.
 */
// A separate thread, as a call blocked in msgrcv does not end when interrupted.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SysvIpcInteropTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final AtomicInteger NEXT = new AtomicInteger();
    private final List<MessageQueue> queues = new ArrayList<>();
    private Process python;
    private int msgmax;

    @BeforeAll
    static void needsSysvIpc() throws Exception {
        Process check = new ProcessBuilder(PYTHON, "-c", "import sysv_ipc").redirectErrorStream(true).start();
        String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        Assumptions.assumeTrue(check.waitFor(30, TimeUnit.SECONDS) && check.exitValue() == 0,
                () -> "skipped: " + PYTHON + " cannot import sysv_ipc (install Debian's python3-sysv-ipc, as .ci/run"
                        + " does): " + said);
    }

    @AfterEach
    void tearDown() throws IOException {
        ChildJvm.kill(python);
        for (MessageQueue q : queues) {
            try (q) {
                q.remove();
            } catch (IOException e) {
                // Removed already by the test.
            }
        }
    }

    /** @return a key no other test run uses: this process's id and a counter */
    private static int freshKey() {
        return 0x50000000 | (int) ((ProcessHandle.current().pid() & 0xFFFF) << 8) | (NEXT.incrementAndGet() & 0xFF);
    }

    private MessageQueue queue(int key) throws IOException {
        MessageQueue q = MessageQueue.open(key, MessageQueue.Options.DEFAULT.withExclusive());
        queues.add(q);
        msgmax = q.maxMessageSize();
        return q;
    }

    private BufferedReader python(String... args) throws IOException {
        python = PythonPeer.start(PYTHON, "sysv_peer.py", args);
        return new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The same bytes as {@code payload(size, type)} in sysv_peer.py. */
    private static byte[] payload(int size, long type) {
        byte[] m = new byte[size];
        for (int k = 0; k < size; k++) {
            m[k] = (byte) ((type * 31 + k * 7) % 256);
        }
        return m;
    }

    private static void assertMessage(long type, int size, MessageQueue.Message m) {
        assertTrue(m != null, "no message where one of type " + type + " and " + size + " bytes was expected");
        assertEquals(type, m.type(), "type");
        assertArrayEquals(payload(size, type), m.payload(), "payload of type " + type);
    }

    private void awaitOk(BufferedReader out, int count) throws Exception {
        assertEquals("ok " + count, out.readLine());
        assertTrue(python.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue());
    }

    @Test
    void pythonSendsTypedMessagesAndJavaTakesThemBySelector() throws Exception {
        int key = freshKey();
        MessageQueue q = queue(key);
        BufferedReader out = python("send", String.valueOf(key), "3:10", "1:0", "2:" + SysvQueue.kernelMsgmax(), "1:5",
                "5:100", "2:3");
        awaitOk(out, 6);
        Duration wait = Duration.ofSeconds(10);
        assertMessage(2, msgmax, q.receive(2, wait));
        assertMessage(1, 0, q.receive(-2, wait));
        assertMessage(1, 5, q.receive(-2, wait));
        assertMessage(2, 3, q.receive(-2, wait));
        assertNull(q.tryReceive(-2), "no type up to 2 is left");
        assertMessage(3, 10, q.receive(0, wait));
        assertMessage(5, 100, q.receive(0, wait));
        assertNull(q.tryReceive(0));
    }

    @Test
    void javaSendsTypedMessagesAndPythonTakesThemBySelector() throws Exception {
        int key = freshKey();
        MessageQueue q = queue(key);
        q.send(4, payload(7, 4));
        q.send(9, payload(msgmax, 9));
        q.send(1, payload(0, 1));
        q.send(3, payload(2000, 3));
        BufferedReader lowest = python("receive", String.valueOf(key), "-4", "3");
        assertEquals("1 ", lowest.readLine());
        assertEquals("3 " + HexFormat.of().formatHex(payload(2000, 3)), lowest.readLine());
        assertEquals("4 " + HexFormat.of().formatHex(payload(7, 4)), lowest.readLine());
        awaitOk(lowest, 3);
        BufferedReader rest = python("receive", String.valueOf(key), "0", "1");
        assertEquals("9 " + HexFormat.of().formatHex(payload(msgmax, 9)), rest.readLine());
        awaitOk(rest, 1);
        assertEquals(0, q.stat().messages());
    }

    @Test
    void mqEndpointsTalkWithPython() throws Exception {
        int key = freshKey();
        String endpoint = "mq:0x" + Integer.toHexString(key);
        try (MessageReceiver fives = Conduit.openReceiver(endpoint + "?type=5")) {
            awaitOk(python("send", String.valueOf(key), "6:10", "5:20", "5:0"), 3);
            assertArrayEquals(payload(20, 5), fives.receive(Duration.ofSeconds(10)));
            assertArrayEquals(payload(0, 5), fives.receive(Duration.ofSeconds(10)));
            assertNull(fives.tryReceive(), "type 6 is not for this receiver");
            try (MessageSender sevens = Conduit.openSender(endpoint + "?type=7")) {
                sevens.send(payload(30, 7));
                sevens.send(payload(1, 7));
            }
            BufferedReader out = python("receive", String.valueOf(key), "7", "2");
            assertEquals("7 " + HexFormat.of().formatHex(payload(30, 7)), out.readLine());
            assertEquals("7 " + HexFormat.of().formatHex(payload(1, 7)), out.readLine());
            awaitOk(out, 2);
            BufferedReader sixes = python("receive", String.valueOf(key), "0", "1");
            assertEquals("6 " + HexFormat.of().formatHex(payload(10, 6)), sixes.readLine());
            awaitOk(sixes, 1);
        }
    }
}
