package dev.conduit;

import dev.conduit.testing.Leaks;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.TimeUnit;

/** 10,000 connect/close cycles leave the process with the descriptors and threads it had. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LeakTest {
    @ParameterizedTest
    @ValueSource(strings = {"unix", "pipe", "tcp", "shm", "mem", "unix-session"})
    void connectAndCloseLeaveNothingBehind(String transport) throws Exception {
        try (TempDir dir = new TempDir()) {
            long pid = ProcessHandle.current().pid();
            String endpoint = switch (transport) {
                case "unix" -> "unix:" + dir.resolve("leak.sock");
                case "pipe" -> "pipe:conduit-leak-" + pid;
                case "tcp" -> "tcp://127.0.0.1:0";
                case "shm" -> "shm:conduit-leak-" + pid;
                case "mem" -> "mem:leak";
                default -> "unix:" + dir.resolve("session.sock") + "?protocol=conduit";
            };
            Leaks.assertNoneAfter(endpoint, 10_000);
        }
    }
}
