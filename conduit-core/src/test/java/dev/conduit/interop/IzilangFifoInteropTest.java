package dev.conduit.interop;

import dev.conduit.Conduit;
import dev.conduit.ConnectionClosedException;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.PythonPeer;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit's {@code fifo:} against izilang's {@code std.ipc}, played byte for byte by a Python
 * process ({@code interop/python/izi_fifo_peer.py}, standard library only) on a FIFO named as
 * izilang names them, {@code izi_ipc_NAME}: izilang writing (length and payload in two writes)
 * to a Conduit receiver, and a Conduit sender writing to izilang's reader.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IzilangFifoInteropTest {
    private static final int COUNT = 60;

    private TempDir dir;
    private Process python;

    @BeforeEach
    void setUp() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void tearDown() throws IOException {
        ChildJvm.kill(python);
        dir.close();
    }

    private BufferedReader python(String mode, Path fifo) throws IOException {
        python = PythonPeer.start("/usr/bin/python3", "izi_fifo_peer.py", mode, fifo.toString(), String.valueOf(COUNT));
        return new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The same messages as {@code payload(i)} in izi_fifo_peer.py. */
    private static byte[] payload(int i) {
        int size = i < 7 ? new int[] {0, 1, 4, 4092, 4093, 70000, 300000}[i] : (i * 131) % 3000;
        byte[] m = new byte[size];
        for (int k = 0; k < size; k++) {
            m[k] = (byte) ((i * 7 + k * 13) % 256);
        }
        return m;
    }

    @Test
    void izilangWritesConduitReceives() throws Exception {
        Path fifo = dir.resolve("izi_ipc_toJava");
        try (MessageReceiver receiver = Conduit.openReceiver("fifo:" + fifo)) {
            BufferedReader out = python("write", fifo);
            for (int i = 0; i < COUNT; i++) {
                assertArrayEquals(payload(i), receiver.receive(Duration.ofSeconds(30)), "message " + i);
            }
            assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(30)));
            assertEquals("ok " + COUNT, out.readLine());
            assertTrue(python.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, python.exitValue());
        }
    }

    @Test
    void conduitSendsIzilangReceives() throws Exception {
        Path fifo = dir.resolve("izi_ipc_fromJava");
        BufferedReader out = python("read", fifo);
        assertEquals("ready", out.readLine());
        try (MessageSender sender = Conduit.openSender("fifo:" + fifo, Duration.ofSeconds(10))) {
            // izilang's recv takes "no writer yet" for the end: it may read only once we are open.
            python.getOutputStream().write('\n');
            python.getOutputStream().flush();
            for (int i = 0; i < COUNT; i++) {
                sender.send(payload(i));
            }
        }
        assertEquals("ok " + COUNT, out.readLine());
        assertTrue(python.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue());
    }
}
