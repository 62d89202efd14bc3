package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Nested;

import java.io.IOException;

/** {@link ServeContract} over the built-in transports that listen: unix, tcp, mem and shm. */
class ServeTest {
    @Nested
    class Unix extends ServeContract {
        @Override
        protected String endpoint() throws IOException {
            return "unix:" + track(new TempDir()).resolve("s.sock");
        }
    }

    @Nested
    class Tcp extends ServeContract {
        @Override
        protected String endpoint() {
            return "tcp://127.0.0.1:0";
        }
    }

    @Nested
    class Mem extends ServeContract {
        @Override
        protected String endpoint() {
            return "mem:serve-" + System.nanoTime();
        }

        @Override
        protected boolean crossesProcesses() {
            return false;
        }
    }

    @Nested
    class Shm extends ServeContract {
        @Override
        protected String endpoint() {
            return "shm:sv" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000 + "?size=64k";
        }
    }
}
