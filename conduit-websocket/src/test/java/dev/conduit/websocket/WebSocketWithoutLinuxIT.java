package dev.conduit.websocket;

import dev.conduit.ListenerContract;
import dev.conduit.SessionContract;
import dev.conduit.internal.posix.Native;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code ws://} as it is on an OS that is not Linux: this JVM pretends so before anything in
 * Conduit touches the OS (see core's {@code WithoutLinuxIT}), and the WebSocket transport passes
 * its contract. Runs in a JVM of its own (surefire's {@code without-linux} execution).
 */
class WebSocketWithoutLinuxIT {
    static {
        Native.pretendNotLinux();
    }

    @Test
    void theJvmPretends() {
        assertFalse(Native.isLinux());
    }

    @Nested
    class Ws extends ListenerContract {
        @Override
        protected String endpoint() {
            return "ws://127.0.0.1:0/conduit?maxFrame=1m";
        }
    }

    @Nested
    class SessionsOverWs extends SessionContract {
        @Override
        protected String endpoint(String options) {
            return "ws://127.0.0.1:0/session?" + options;
        }
    }
}
