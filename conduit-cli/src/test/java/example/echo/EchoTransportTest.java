package example.echo;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.ListenerContract;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.SessionContract;
import dev.conduit.TransportUnavailableException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transport from outside {@code dev.conduit}, found through {@code META-INF/services} and built
 * only on exported API ({@code dev.conduit.spi}, {@code dev.conduit.spi.support}), meets the
 * listener contract the built-in transports meet, and gets the session layer without asking.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoTransportTest extends ListenerContract {
    @Override
    protected String endpoint() {
        return "echo:contract-" + System.nanoTime() + "?maxFrame=1m";
    }

    @Override
    protected boolean crossesProcesses() {
        return false;
    }

    @Test
    void theRegistryServesThePluggedInScheme() {
        assertTrue(Conduit.schemes().contains("echo"), Conduit.schemes().toString());
        assertFalse(Endpoint.parse("echo:x").isOneWay());
    }

    @Test
    void aPluggedInOneWaySchemeIsOpenedByOpenSenderAndOpenReceiver() throws Exception {
        String endpoint = "echoq:q-" + System.nanoTime();
        assertTrue(Endpoint.parse(endpoint).isOneWay());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conduit.connect(endpoint));
        assertEquals(endpoint + ": connect: echoq carries messages one way: use Conduit.openSender", e.getMessage());
        try (MessageReceiver receiver = Conduit.openReceiver(endpoint);
                MessageSender sender = Conduit.openSender(endpoint)) {
            sender.send("one way");
            assertEquals("one way", receiver.receiveString(Duration.ofSeconds(10)));
        }
    }

    @Test
    void itsOptionsAreCheckedAgainstWhatItLists() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("echo:x?colour=red"));
        assertEquals("endpoint 'echo:x?colour=red': unknown option 'colour' for echo (known: maxFrame)",
                e.getMessage());
    }

    @Test
    void aSchemeNobodyServesIsUnavailable() {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Conduit.connect("nosuch:x"));
        assertTrue(e.getMessage().startsWith("nosuch:x: no transport for scheme 'nosuch' is available in this build"
                + " (available: "), e.getMessage());
        assertTrue(e.getMessage().contains("(available: echo, echoq, fifo, "), e.getMessage());
    }

    /** The session protocol, layered over whichever transport serves the scheme. */
    @Nested
    class WithSessions extends SessionContract {
        @Override
        protected String endpoint(String options) {
            return "echo:session-" + System.nanoTime() + "?" + options;
        }

        @Override
        protected boolean crossesProcesses() {
            return false;
        }

        @Test
        void theSessionWrapsThePluggedInConnection() throws Exception {
            String endpoint = endpoint("protocol=conduit");
            try (Listener listener = Conduit.listen(endpoint);
                    Connection client = Conduit.connect(endpoint, Duration.ofSeconds(5));
                    Connection server = listener.accept(Duration.ofSeconds(10))) {
                assertNotNull(server, "accept timed out");
                assertFalse(server instanceof EchoConnection, "no session layer: " + server);
                assertFalse(client instanceof EchoConnection, "no session layer: " + client);
            }
        }
    }
}
