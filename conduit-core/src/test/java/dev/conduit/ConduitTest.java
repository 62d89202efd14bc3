package dev.conduit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The entry point's own rules: which transport, which options, which errors. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ConduitTest {
    @Test
    void webSocketWithoutItsModuleSaysWhatToAdd() {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Conduit.connect("ws://127.0.0.1:1/x"));
        assertEquals("ws://127.0.0.1:1/x: the WebSocket transport is not on the class path (add the module"
                + " dev.conduit:conduit-websocket)", e.getMessage());
    }

    @Test
    void aTransportFromAnotherModuleIsNamedWhenMissing() {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Conduit.connect("ws://127.0.0.1:1/x"));
        assertEquals("ws://127.0.0.1:1/x: the WebSocket transport is not on the class path (add the module"
                + " dev.conduit:conduit-websocket)", e.getMessage());
    }

    @Test
    void natsWithoutItsModuleSaysWhatToAdd() {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Conduit.openSender("nats://127.0.0.1:1/orders"));
        assertEquals("nats://127.0.0.1:1/orders: the NATS transport is not on the class path (add the module"
                + " dev.conduit:conduit-nats)", e.getMessage());
    }

    @Test
    void aSchemeNoTransportServesIsUnavailableNamingWhatIs() {
        for (var call : List.<Callable<?>>of(() -> Conduit.connect("http://x"), () -> Conduit.listen("http://x"),
                () -> Conduit.openSender("http://x"), () -> Conduit.openReceiver("http://x"))) {
            TransportUnavailableException e = assertThrows(TransportUnavailableException.class, call::call);
            assertEquals("http://x: no transport for scheme 'http' is available in this build (available: "
                    + String.join(", ", Conduit.schemes()) + "; a transport from another jar registers through"
                    + " dev.conduit.spi.TransportProvider; for a socket path containing ':' write unix:PATH)",
                    e.getMessage());
        }
    }

    @Test
    void oneWayAndTwoWayEndpointsAreOpenedByTheirOwnCalls() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("fifo:/tmp/x.fifo"));
        assertEquals("fifo:/tmp/x.fifo: listen: fifo carries messages one way: use Conduit.openReceiver",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.connect("mq:42"));
        assertEquals("mq:42: connect: mq carries messages one way: use Conduit.openSender", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.openSender("unix:/tmp/x.sock"));
        assertEquals("unix:/tmp/x.sock: openSender: unix carries messages both ways: use Conduit.connect",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver("tcp://127.0.0.1:1"));
        assertEquals("tcp://127.0.0.1:1: openReceiver: tcp carries messages both ways: use Conduit.listen",
                e.getMessage());
    }

    @Test
    void badOptionValuesNameTheOptionAndTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("mem:x?maxFrame=3g"));
        assertEquals("endpoint 'mem:x?maxFrame=3g': maxFrame=3g (expected a size from 0 to 2147483647 bytes, e.g."
                + " 65536 or 64k)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conduit.listen("unix:/tmp/x.sock?mode=0999"));
        assertEquals("endpoint 'unix:/tmp/x.sock?mode=0999': mode=0999 (expected an octal mode from 000 to 777,"
                + " e.g. 0600)", e.getMessage());
    }

    @Test
    void spinTakesADurationUpToOneSecond() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("tcp://127.0.0.1:0?spin=2s"));
        assertEquals("endpoint 'tcp://127.0.0.1:0?spin=2s': spin=2s (expected a duration from 0 to 1 s, e.g. 0, 20us,"
                + " 1ms, or forever)", e.getMessage());
        Conduit.listen("tcp://127.0.0.1:0?spin=50us").close();
    }

    @Test
    void negativeConnectTimeoutIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("mem:x", Duration.ofSeconds(-1)));
        assertEquals("timeout: PT-1S (expected >= 0)", e.getMessage());
    }

    @Test
    void connectingToNobodyFailsWithTheEndpointInTheMessage() {
        IOException e = assertThrows(IOException.class, () -> Conduit.connect("mem:nobody-here"));
        assertEquals("mem:nobody-here: connect: no listener in this JVM", e.getMessage());
        e = assertThrows(IOException.class, () -> Conduit.connect("tcp://127.0.0.1:1"));
        assertTrue(e.getMessage().startsWith("tcp://127.0.0.1:1: connect: no listener at /127.0.0.1:1 ("),
                e.getMessage());
    }
}
