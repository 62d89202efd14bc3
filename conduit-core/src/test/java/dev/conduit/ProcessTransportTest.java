package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.TestPeers;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Conduit#spawn} and {@link Conduit#stdio}: the child runs {@code TestPeers relay}, which
 * joins its stdio connection to a Unix socket this test listens on, so every contract test
 * drives the parent's spawn connection and, through it, the child's stdio connection.
 */
class ProcessTransportTest {
    static final int MAX_FRAME = 1 << 20;

    abstract static class Relayed extends TransportContract {
        @Override
        protected int maxFrame() {
            return MAX_FRAME;
        }

        /** @return [spawn connection, unix end] */
        final Connection[] relayed() throws Exception {
            TempDir dir = track(new TempDir());
            Listener listener = track(Conduit.listen("unix:" + dir.resolve("r.sock") + "?maxFrame=1m"));
            ProcessConnection child = Conduit.spawn(ChildJvm.builder(TestPeers.class, "relay",
                    listener.endpoint().toString()), "stdio?maxFrame=1m");
            track(child.process());
            Connection socket = listener.accept(Duration.ofSeconds(30));
            assertNotNull(socket, "the relay child did not connect");
            return new Connection[] {child, socket};
        }

        @Override
        protected Connection killablePeer() throws Exception {
            ProcessConnection child = Conduit.spawn(ChildJvm.builder(TestPeers.class, "hold", "stdio"));
            track(child.process());
            assertEquals("ready", child.receiveString(Duration.ofSeconds(30)));
            return child;
        }
    }

    /** The spawn connection is the first of each pair: the side that mostly sends. */
    @Nested
    class SpawnSends extends Relayed {
        @Override
        protected Connection[] pair() throws Exception {
            return relayed();
        }
    }

    /** The spawn connection is the second of each pair: the side that mostly receives. */
    @Nested
    class SpawnReceives extends Relayed {
        @Override
        protected Connection[] pair() throws Exception {
            Connection[] p = relayed();
            return new Connection[] {p[1], p[0]};
        }
    }

    @Test
    void childExitIsAnOrderlyCloseAfterItsMessages() throws Exception {
        try (ProcessConnection child = Conduit.spawn("sh", "-c", "printf '\\000\\000\\000\\002hi'; exit 3")) {
            assertEquals("hi", child.receiveString(Duration.ofSeconds(10)));
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class, child::receive);
            assertEquals("spawn:sh(pid " + child.process().pid() + "): receive: connection closed by peer (child"
                    + " exited with code 3)", e.getMessage());
            assertThrows(ConnectionClosedException.class, child::tryReceive);
            assertEquals(3, child.process().waitFor());
        }
    }

    @Test
    void whatAReturnedSendTookOutlivesTheChild() throws Exception {
        int count = 5000;
        try (ProcessConnection child = Conduit.spawn(ChildJvm.builder(TestPeers.class, "send-halt", "stdio",
                Integer.toString(count)))) {
            for (int i = 0; i < count; i++) {
                assertEquals(TestPeers.haltMessage(i), child.receiveString(Duration.ofSeconds(30)), "message " + i);
            }
            ConnectionClosedException e = assertThrows(ConnectionClosedException.class,
                    () -> child.receive(Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains("connection closed by peer"), e.getMessage());
            assertEquals(0, child.process().waitFor());
        }
    }

    @Test
    void spawnOptionsMustBeAStdioEndpoint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.spawn(new ProcessBuilder("true"), "unix:/tmp/x"));
        assertEquals("spawn: options must be a stdio endpoint such as stdio?maxFrame=1m, not 'unix:/tmp/x'",
                e.getMessage());
    }

    @Test
    void startFailureNamesTheCommand() {
        IOException e = assertThrows(IOException.class, () -> Conduit.spawn("/no/such/program", "arg"));
        assertTrue(e.getMessage().startsWith("spawn: cannot start [/no/such/program, arg]: "), e.getMessage());
    }

    @Test
    void stdioCannotListen() {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Conduit.listen("stdio"));
        assertTrue(e.getMessage().startsWith("stdio: listen: stdio cannot listen"), e.getMessage());
    }
}
