package dev.conduit.internal.socket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the socket transports do beyond the contract: batching in the send buffer, and no garbage. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketConnectionTest {
    private TempDir dir;
    private Listener listener;
    private Connection client;
    private Connection server;

    @BeforeEach
    void connect() throws Exception {
        dir = new TempDir();
        listener = Conduit.listen("unix:" + dir.resolve("s.sock"));
        client = Conduit.connect(listener.endpoint(), Duration.ofSeconds(5));
        server = listener.accept(Duration.ofSeconds(10));
        assertNotNull(server, "accept timed out");
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        server.close();
        listener.close();
        dir.close();
    }

    private static byte[] filled(int size, int value) {
        byte[] m = new byte[size];
        java.util.Arrays.fill(m, (byte) value);
        return m;
    }

    @Test
    void writesStayInTheSendBufferUntilFlushed() throws Exception {
        for (int i = 0; i < 3; i++) {
            client.write(filled(100, i));
        }
        assertNull(server.receive(Duration.ofMillis(100)), "a write reached the peer before flush");
        client.flush();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(filled(100, i), server.receive(Duration.ofSeconds(10)));
        }
    }

    @Test
    void aWriteThatDoesNotFitSendsWhatIsQueuedFirst() throws Exception {
        client.write(filled(40_000, 1));
        client.write(filled(40_000, 2));
        assertArrayEquals(filled(40_000, 1), server.receive(Duration.ofSeconds(10)));
        assertNull(server.receive(Duration.ofMillis(100)), "the second write went out without a flush");
        client.flush();
        assertArrayEquals(filled(40_000, 2), server.receive(Duration.ofSeconds(10)));
    }

    @Test
    void aRefusedTrySendTakesItsFrameBackAndKeepsWhatWasWritten() throws Exception {
        int sent = Waits.fillUntilRefused(client, n -> filled(16 * 1024, 7), Duration.ofMillis(100), 10_000);
        client.write(filled(10, 8));
        assertFalse(client.trySend(filled(10, 9)), "trySend to a full peer");
        for (int i = 0; i < sent; i++) {
            assertArrayEquals(filled(16 * 1024, 7), server.receive(Duration.ofSeconds(10)), "message " + i);
        }
        client.flush();
        assertArrayEquals(filled(10, 8), server.receive(Duration.ofSeconds(10)));
        assertNull(server.receive(Duration.ofMillis(100)), "the refused trySend was sent after all");
    }
}
