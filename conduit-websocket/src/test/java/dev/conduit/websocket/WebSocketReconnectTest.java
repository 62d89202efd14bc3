package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** {@code ?reconnect=true} over {@code ws://}: the client dials and upgrades again after its connection ends. */
@Timeout(60)
class WebSocketReconnectTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void aClientDialsAgainWhenItsConnectionEnds() throws Exception {
        try (Listener listener = Conduit.listen("ws://127.0.0.1:0/again");
                Connection client = Conduit.connect("ws://" + listener.endpoint().address()
                        + "?reconnect=true&reconnectDelay=10ms", WAIT)) {
            Connection first = listener.accept(WAIT);
            client.send("before");
            assertEquals("before", first.receiveString(WAIT));

            CompletableFuture<String> after = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.receiveString(WAIT);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            first.close();
            try (Connection second = listener.accept(WAIT)) {
                assertNotNull(second, "the client did not dial again");
                second.send("after");
                assertEquals("after", after.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                client.send("back");
                assertEquals("back", second.receiveString(WAIT));
            }
        }
    }
}
