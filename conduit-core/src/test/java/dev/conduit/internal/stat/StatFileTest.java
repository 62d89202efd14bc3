package dev.conduit.internal.stat;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionCounters;
import dev.conduit.Listener;
import dev.conduit.internal.ConnectionRegistry.Row;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counters file {@code conduit stat} reads: its layout, its mode, and removing dead processes' files. */
@Timeout(60)
final class StatFileTest {
    private static final long PID = ProcessHandle.current().pid();

    private static StatFile.Table table(long pid, Instant started) {
        return new StatFile.Table(pid, started, Instant.parse("2026-12-06T20:00:00Z"), List.of(
                new Row("open", new ConnectionCounters(1, 2, 3, 4, 5, 6, 7), "unix:/tmp/a.sock"),
                new Row("lost", ConnectionCounters.ZERO, "shm:x\twith a tab")));
    }

    @Test
    void writesTheDocumentedLayoutAndReadsItBack() {
        String text = StatFile.format(table(42, Instant.parse("2026-12-06T19:00:00Z")));
        assertEquals("""
                conduit-stat\t1
                pid\t42
                started\t2026-12-06T19:00:00Z
                updated\t2026-12-06T20:00:00Z
                connection\topen\t1\t2\t3\t4\t5\t6\t7\tunix:/tmp/a.sock
                connection\tlost\t0\t0\t0\t0\t0\t0\t0\tshm:x with a tab
                """, text);
        StatFile.Table back = StatFile.parse(text + "listener\tsomething a later version adds\n");
        assertEquals(42, back.pid());
        assertEquals(new ConnectionCounters(1, 2, 3, 4, 5, 6, 7), back.rows().getFirst().counters());
        assertEquals("shm:x with a tab", back.rows().get(1).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StatFile.parse("conduit-stat\t2\n"));
        assertEquals("not a conduit-stat version 1 file", e.getMessage());
    }

    @Test
    void keepsLiveProcessesFilesAndRemovesDeadOnes() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        try (TempDir dir = new TempDir()) {
            StatFile.write(dir.path(), table(PID, StatFile.started()));
            StatFile.write(dir.path(), table(gone.pid(), StatFile.started()));
            // This pid, but as if another process had had it before: a reused pid is not ours.
            Path mine = StatFile.of(dir.path(), PID);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(mine)));
            List<StatFile.Table> live = StatFile.readAll(dir.path(), -1);
            assertEquals(List.of(PID), live.stream().map(StatFile.Table::pid).toList());
            assertFalse(Files.exists(StatFile.of(dir.path(), gone.pid())), "a dead process's file is left");
            StatFile.write(dir.path(), table(PID, Instant.parse("2001-01-01T00:00:00Z")));
            assertEquals(List.of(), StatFile.readAll(dir.path(), PID));
            assertFalse(Files.exists(mine), "the file of a reused pid is left");
        }
    }

    @Test
    void aProcessWithConnectionsPublishesThemInDevShm() throws Exception {
        try (TempDir dir = new TempDir();
             Listener listener = Conduit.listen("unix:" + dir.resolve("p.sock"));
             Connection client = Conduit.connect(listener.endpoint());
             Connection server = listener.accept(Duration.ofSeconds(10))) {
            client.send("12345");
            server.receive();
            Waits.until("this process's table shows the connection's counters", Duration.ofSeconds(10), () -> {
                try {
                    List<StatFile.Table> mine = StatFile.readAll(StatFile.DIRECTORY, PID);
                    return !mine.isEmpty() && mine.getFirst().rows().stream().anyMatch(
                            r -> r.name().equals(client.endpoint().toString()) && r.counters().bytesOut() == 5);
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            assertTrue(Files.exists(StatFile.of(StatFile.DIRECTORY, PID)));
        }
    }
}
