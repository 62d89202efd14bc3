package dev.conduit;

import org.junit.jupiter.api.Nested;

/** {@link SubjectContract} over the two-way transports: sockets, shared memory and in-process. */
class SubjectTest {
    @Nested
    class OverUnix extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "unix:" + dir().resolve("s" + System.nanoTime() % 100000 + ".sock") + "?" + options;
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
            return "shm:subjects" + System.nanoTime() % 100000 + "?size=64k&" + options;
        }
    }

    @Nested
    class OverMem extends SubjectContract {
        @Override
        protected String endpoint(String options) {
            return "mem:subjects" + System.nanoTime() + "?" + options;
        }
    }
}
