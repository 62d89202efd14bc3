package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionEvent;
import dev.conduit.ConnectionEvent.Connected;
import dev.conduit.ConnectionEvent.HandshakeRefused;
import dev.conduit.Listener;
import dev.conduit.ListenerCounters;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A {@code ws://} listener's counters and events, kept through {@code spi.support.ListenerStatistics}. */
@Timeout(60)
class WebSocketListenerEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aRefusedUpgradeAndAnAcceptAreCountedAndTold() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/events?token=s3cret")) {
            List<ConnectionEvent> seen = new CopyOnWriteArrayList<>();
            listener.onEvent(seen::add);
            String address = listener.endpoint().address();

            assertThrows(IOException.class, () -> Conduit.connect("ws://" + address, WAIT));
            Waits.until("the refused upgrade is told", WAIT, () -> !seen.isEmpty());
            HandshakeRefused refused = assertInstanceOf(HandshakeRefused.class, seen.getFirst());
            assertEquals(listener.endpoint(), refused.endpoint());

            try (Connection client = Conduit.connect("ws://" + address + "?token=s3cret", WAIT);
                    Connection server = listener.accept(WAIT)) {
                assertEquals(2, seen.size(), seen.toString());
                assertEquals(new Connected(listener.endpoint(), server.toString(), 0), seen.get(1));
                assertTrue(client.isOpen());
            }
            assertEquals(new ListenerCounters(1, 0, 1), listener.counters());
        }
    }
}
