package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Nested;

/** The whole connection contract with {@code ?protocol=conduit}, over a Unix socket and over TCP. */
class SessionTransportTest {
    @Nested
    class OverUnix extends ListenerContract {
        private TempDir dir;

        @Override
        protected String endpoint() throws Exception {
            if (dir == null) {
                dir = track(new TempDir());
            }
            return "unix:" + dir.resolve("s" + System.nanoTime() % 100000 + ".sock") + "?maxFrame=1m&protocol=conduit";
        }
    }

    @Nested
    class OverTcp extends ListenerContract {
        @Override
        protected String endpoint() {
            return "tcp://127.0.0.1:0?maxFrame=1m&protocol=conduit&ackTimeout=10s";
        }
    }
}
