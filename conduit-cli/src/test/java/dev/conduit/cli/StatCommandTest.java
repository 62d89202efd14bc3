package dev.conduit.cli;

import dev.conduit.cli.CliTest.Run;
import dev.conduit.internal.stat.StatFile;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.conduit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code conduit stat}: other processes' connections and counters, and the files of killed ones removed. */
@Timeout(120)
final class StatCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<CliProcess> children = new ArrayList<>();

    @AfterEach
    void killChildren() {
        children.forEach(CliProcess::close);
        for (CliProcess child : children) {
            try {
                Files.deleteIfExists(StatFile.of(StatFile.DIRECTORY, child.process().pid()));
            } catch (java.io.IOException e) {
                // Best effort: stat removes it next time.
            }
        }
    }

    private CliProcess child(CliProcess process) {
        children.add(process);
        return process;
    }

    /** @return the lines of {@code conduit stat --once --pid PID} naming {@code endpoint} */
    private static List<String> statLines(long pid, String endpoint) {
        Run stat = run("", "stat", "--once", "--pid", String.valueOf(pid));
        assertEquals(0, stat.code(), stat.err());
        assertTrue(stat.outLines().getFirst().startsWith("PID "), stat.out());
        return stat.outLines().stream().filter(l -> l.endsWith(endpoint)).toList();
    }

    @Test
    void showsAChildsConnectionsWithTheirCountersAndRemovesAKilledChildsFile() throws Exception {
        String endpoint = "unix:" + dir.resolve("s.sock");
        CliProcess listen = child(CliProcess.start("listen", endpoint));
        listen.awaitListening();
        CliProcess connect = child(CliProcess.startPiped(List.of(), "connect", endpoint));
        connect.writeLine("hello");
        connect.writeLine("world");
        listen.awaitStdoutLines(2, WAIT);
        long pid = connect.process().pid();
        Waits.until("stat shows the connect child's two messages", WAIT, () -> statLines(pid, endpoint).stream()
                .anyMatch(l -> l.matches(pid + " +open +2 +10 +0 +0 +0 +0 +0 +" + endpoint)));
        long listenPid = listen.process().pid();
        Waits.until("stat shows the listen child's two messages in", WAIT, () -> statLines(listenPid, endpoint)
                .stream().anyMatch(l -> l.matches(listenPid + " +open +0 +0 +2 +10 +0 +0 +0 +" + endpoint)));

        Path file = StatFile.of(StatFile.DIRECTORY, pid);
        assertTrue(Files.exists(file));
        connect.process().destroyForcibly();
        connect.process().waitFor();
        // No exit hook ran, so the file stays until a stat (or a publishing process starting
        // anywhere on the host) sees the pid gone; StatFileTest checks that step in a directory
        // of its own.
        assertEquals(List.of(), statLines(pid, endpoint));
        assertFalse(Files.exists(file), "stat left the killed child's file");
    }

    @Test
    void withNoProcessItSaysSo() {
        Run stat = run("", "stat", "--once", "--pid", "1");
        assertEquals(0, stat.code(), stat.err());
        assertEquals("(no process on this host publishes Conduit connections)", stat.outLines().get(1));
    }
}
