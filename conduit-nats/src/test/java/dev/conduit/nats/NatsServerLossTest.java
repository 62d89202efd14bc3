package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.ConnectionDownException;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * What a lost server does to blocked and later calls: jnats reconnects by itself; Conduit waits
 * up to {@code ?serverDownTimeout=} for it, then ends them with {@link ConnectionDownException}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsServerLossTest {
    @Test
    void aServerGoneLongerThanTheBoundEndsABlockedReceiveAndLaterSends() throws Exception {
        try (NatsServer server = NatsServer.start()) {
            String endpoint = server.url("lost") + "?serverDownTimeout=1s";
            try (MessageReceiver receiver = Conduit.openReceiver(endpoint);
                 MessageSender sender = Conduit.openSender(endpoint)) {
                CompletableFuture<byte[]> blocked = CompletableFuture.supplyAsync(() -> {
                    try {
                        return receiver.receive();
                    } catch (java.io.IOException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                server.kill();
                ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
                ConnectionDownException down = assertInstanceOf(ConnectionDownException.class, e.getCause());
                assertEquals(endpoint + ": receive: the connection to the NATS server at 127.0.0.1:" + server.port()
                        + " was lost and not regained within 1 s (?serverDownTimeout=)", down.getMessage());
                Waits.until("the sender gives the server up too", Duration.ofSeconds(30), () -> {
                    try {
                        sender.send("late");
                        return false;
                    } catch (ConnectionDownException gone) {
                        return gone.getMessage().startsWith(endpoint + ": send: the connection to the NATS server");
                    } catch (java.io.IOException other) {
                        throw new AssertionError(other);
                    }
                });
            }
        }
    }

    @Test
    void aServerBackWithinTheBoundIsRejoinedAndABlockedReceiveGoesOn() throws Exception {
        try (NatsServer server = NatsServer.start()) {
            String endpoint = server.url("back") + "?serverDownTimeout=30s";
            try (MessageReceiver receiver = Conduit.openReceiver(endpoint);
                 MessageSender sender = Conduit.openSender(endpoint)) {
                sender.send("before");
                assertEquals("before", receiver.receiveString(Duration.ofSeconds(10)));
                server.kill();
                server.restart();
                // Core NATS is at most once: what was published while either side was away may be
                // lost, so the probe is sent until one arrives, once both have rejoined.
                String[] got = new String[1];
                Waits.until("a message after the restart", Duration.ofSeconds(30), () -> {
                    try {
                        sender.send("after");
                        got[0] = receiver.receiveString(Duration.ofMillis(200));
                        return got[0] != null;
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                });
                assertEquals("after", got[0]);
            }
        }
    }
}
