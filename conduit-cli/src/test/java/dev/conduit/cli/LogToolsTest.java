package dev.conduit.cli;

import dev.conduit.cli.CliTest.Run;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static dev.conduit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code conduit log info|dump|trim PATH}. */
@Timeout(60)
final class LogToolsTest {
    /** An ISO-8601 instant in UTC, as Instant.toString writes it. */
    private static final String TIME = "20[0-9][0-9]-[0-9]{2}-[0-9]{2}T[0-9:.]+Z";

    @TempDir
    Path dir;

    private Path path;
    private String log;

    /**
     * Four records of 32 bytes each, in 8 KiB segments (4096 data bytes), with exact append
     * times, so each record's time is its own (the default coarse times are shared within a tick).
     */
    @BeforeEach
    void aLog() {
        path = dir.resolve("events");
        log = "log:" + path;
        assertEquals(0, run("", "send", log + "?segmentSize=8k&time=precise", "one", "two", "six", "ten").code());
    }

    @Test
    void infoShowsSegmentsPositionsTimesAndCursors() {
        assertEquals(0, run("", "listen", log + "?cursor=billing", "--from", "start", "--count", "2").code());
        Run info = run("", "log", "info", path.toString());
        assertEquals(0, info.code(), info.err());
        List<String> lines = info.outLines();
        assertEquals(3, lines.size(), info.out());
        assertTrue(lines.get(0).matches(path + ": 1 segments, 8192 bytes, 4 records, positions 0 to 128, times " + TIME
                + " to " + TIME + ", 0 live receivers"), lines.get(0));
        assertTrue(lines.get(1).matches("segment 0000000000000000.log version 3, 8192 bytes, 4 records, positions 0"
                + " to 128, times " + TIME + " to " + TIME), lines.get(1));
        assertEquals("cursor billing at position 64", lines.get(2));
    }

    @Test
    void dumpPrintsPositionsTimesAndMessagesInEachFormat() {
        Run dump = run("", "log", "dump", path.toString());
        assertEquals(0, dump.code(), dump.err());
        List<String> lines = dump.outLines();
        assertEquals(4, lines.size(), dump.out());
        String[] words = {"one", "two", "six", "ten"};
        Instant previous = Instant.EPOCH;
        for (int i = 0; i < 4; i++) {
            String[] f = lines.get(i).split(" ");
            assertEquals(String.valueOf(32 * i), f[0]);
            Instant t = Instant.parse(f[1]);
            assertTrue(!t.isBefore(previous), lines.get(i));
            previous = t;
            assertEquals(words[i], f[2]);
        }
        String second = lines.get(1).split(" ")[1];
        Run fromTime = run("", "log", "dump", path.toString(), "--from", second, "--count", "2", "--format", "hex");
        assertEquals(0, fromTime.code(), fromTime.err());
        assertEquals(List.of("32 " + second + " 74776f", lines.get(2).replace(" six", " 736978")), fromTime.outLines());
        Run fromPosition = run("", "log", "dump", path.toString(), "--from", "96", "--format", "base64");
        assertEquals(List.of(lines.get(3).replace(" ten", " dGVu")), fromPosition.outLines());
    }

    @Test
    void trimDeletesOldSegmentsAndSaysSo() {
        String[] many = new String[600];
        for (int i = 0; i < many.length; i++) {
            many[i] = "message " + i;
        }
        String[] args = new String[many.length + 2];
        args[0] = "send";
        args[1] = log;
        System.arraycopy(many, 0, args, 2, many.length);
        assertEquals(0, run("", args).code());
        Run trim = run("", "log", "trim", path.toString(), "--retain", "16k");
        assertEquals(0, trim.code(), trim.err());
        List<String> lines = trim.outLines();
        assertEquals("deleted " + path.resolve("0000000000000000.log"), lines.getFirst());
        assertEquals(path + ": deleted " + (lines.size() - 1) + " segments; 2 left", lines.getLast());
        assertTrue(Files.exists(path.resolve(String.format("%016x.log", 4096L * (lines.size() - 1)))), trim.out());
        Run bad = run("", "log", "trim", path.toString(), "--retain", "10m");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("'10m' could be minutes or mebibytes"), bad.err());
    }
}
