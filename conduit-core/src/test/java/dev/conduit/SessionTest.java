package dev.conduit;

import org.junit.jupiter.api.Nested;

/** {@link SessionContract} and {@link SubjectContract} over every two-way transport. */
class SessionTest {
    @Nested
    class OverUnix extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "unix:" + dir().resolve("s" + System.nanoTime() % 100000 + ".sock") + "?" + options;
        }
    }

    @Nested
    class OverPipe extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "pipe:conduit-session-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000 + "?"
                    + options;
        }
    }

    @Nested
    class OverTcp extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "tcp://127.0.0.1:0?" + options;
        }
    }

    @Nested
    class OverShm extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "shm:session" + System.nanoTime() % 100000 + "?size=64k&" + options;
        }
    }

    @Nested
    class OverMem extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "mem:session" + System.nanoTime() + "?" + options;
        }

        @Override
        protected boolean crossesProcesses() {
            return false;
        }
    }
}
