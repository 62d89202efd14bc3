package dev.conduit;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.net.BindException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemTransportTest extends ListenerContract {
    @Override
    protected String endpoint() {
        return "mem:test-" + System.nanoTime() + "?maxFrame=1m";
    }

    @Override
    protected boolean crossesProcesses() {
        return false;
    }

    @Test
    void aNameHasOneListenerAtATime() throws Exception {
        Listener listener = listen();
        BindException e = assertThrows(BindException.class, () -> Conduit.listen(listener.endpoint()));
        assertEquals(listener.endpoint() + ": listen: address already in use in this JVM", e.getMessage());
        listener.close();
        track(Conduit.listen(listener.endpoint())).close();
    }

    @Test
    void receiverEnforcesItsOwnMaximum() throws Exception {
        Listener listener = track(Conduit.listen("mem:small-" + System.nanoTime() + "?maxFrame=10"));
        Connection client = track(Conduit.connect(listener.endpoint().withAddress(listener.endpoint().address())
                .toString().replace("maxFrame=10", "maxFrame=100")));
        Connection server = track(listener.accept(Duration.ofSeconds(5)));
        client.send(new byte[11]);
        FrameTooLongException e = assertThrows(FrameTooLongException.class, server::receive);
        assertEquals(listener.endpoint() + ": receive: frame length 11 exceeds maxFrame 10", e.getMessage());
        assertThrows(ConnectionClosedException.class, () -> client.send("x"));
    }

    @Test
    void aMalformedSpinIsRefusedOnEitherSide() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("mem:spin-" + System.nanoTime() + "?spin=2s"));
        assertTrue(e.getMessage().contains("spin=2s (expected a duration from 0 to 1 s"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conduit.connect("mem:nobody?spin=often"));
    }

    /** The same contract with pure blocking: every wait parks at once. */
    @Nested
    class Blocking extends ListenerContract {
        @Override
        protected String endpoint() {
            return MemTransportTest.this.endpoint() + "&spin=0";
        }

        @Override
        protected boolean crossesProcesses() {
            return false;
        }
    }

    /** The same contract with pure spinning: no wait parks before a close, interrupt or time-out. */
    @Nested
    class Spinning extends ListenerContract {
        @Override
        protected String endpoint() {
            return MemTransportTest.this.endpoint() + "&spin=forever";
        }

        @Override
        protected boolean crossesProcesses() {
            return false;
        }
    }
}
