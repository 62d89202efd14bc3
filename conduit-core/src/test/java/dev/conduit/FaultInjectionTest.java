package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Nested;


/**
 * {@link FaultContract} for every core transport with listeners: {@code unix:}, {@code pipe:},
 * {@code tcp://}, {@code shm:} and a {@code ?protocol=conduit} session. The one-way transports
 * have their killed-writer tests in their own classes ({@code FifoTransportTest},
 * {@code MqTransportTest}, {@code LogTest}); {@code docs/reliability.md} has the whole table.
 */
class FaultInjectionTest {
    private static String name() {
        return "conduit-fault-" + ProcessHandle.current().pid();
    }

    @Nested
    class Unix extends FaultContract {
        @Override
        protected String endpoint(TempDir dir) {
            return "unix:" + dir.resolve("fault.sock");
        }
    }

    @Nested
    class Pipe extends FaultContract {
        @Override
        protected String endpoint(TempDir dir) {
            return "pipe:" + name();
        }
    }

    @Nested
    class Tcp extends FaultContract {
        @Override
        protected String endpoint(TempDir dir) {
            return "tcp://127.0.0.1:0";
        }
    }

    @Nested
    class Shm extends FaultContract {
        @Override
        protected String endpoint(TempDir dir) {
            return "shm:" + name();
        }
    }

    @Nested
    class Session extends FaultContract {
        @Override
        protected String endpoint(TempDir dir) {
            return "unix:" + dir.resolve("session.sock") + "?protocol=conduit";
        }
    }
}
