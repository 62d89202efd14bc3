package dev.conduit.websocket;

import dev.conduit.testing.Leaks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

/** 10,000 WebSocket connect/close cycles leave the process with the descriptors and threads it had. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WebSocketLeakTest {
    @Test
    void connectAndCloseLeaveNothingBehind() throws Exception {
        Leaks.assertNoneAfter("ws://127.0.0.1:0/leak", 10_000);
    }
}
