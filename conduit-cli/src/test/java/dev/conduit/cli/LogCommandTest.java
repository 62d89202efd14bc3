package dev.conduit.cli;

import dev.conduit.cli.CliTest.Run;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.conduit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A damaged log through the CLI: {@code listen} stops or skips saying so, {@code log verify} and {@code log salvage}. */
@Timeout(60)
final class LogCommandTest {
    @TempDir
    Path dir;

    private Path path;
    private String log;

    /** Four records of 32 bytes each; the second one's length is damaged, so it runs past its segment. */
    @BeforeEach
    void damagedLog() throws IOException {
        path = dir.resolve("events");
        log = "log:" + path;
        assertEquals(0, run("", "send", log, "one", "two", "six", "ten").code());
        try (FileChannel f = FileChannel.open(path.resolve("0000000000000000.log"), StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x7FFF_FFF0), 4096 + 32);
        }
    }

    private String damageLine(String endpoint) {
        return "conduit: " + endpoint + ": receive: damaged log at position 32 (" + path.resolve("0000000000000000.log")
                + "): a record of 2147483632 bytes runs past the end of the segment's 67104768 data bytes";
    }

    @Test
    void listenStopsAtDamageWithALineAndAFailure() {
        Run listen = run("", "listen", log, "--from", "start", "--count", "4");
        assertEquals(1, listen.code(), listen.err());
        assertEquals(List.of("one"), listen.outLines());
        assertEquals(List.of("listening on " + log + "?from=start", "position 32 (go on from there with --from 32)",
                damageLine(log + "?from=start") + "; open with ?onDamage=skip to go on past it"), listen.errLines());
    }

    @Test
    void listenWithSkipSaysWhatItSkippedAndGoesOn() {
        Run listen = run("", "listen", log + "?onDamage=skip", "--from", "start", "--count", "3");
        assertEquals(0, listen.code(), listen.err());
        assertEquals(List.of("one", "six", "ten"), listen.outLines());
        String endpoint = log + "?onDamage=skip&from=start";
        assertEquals(List.of("listening on " + endpoint, damageLine(endpoint) + "; skipped 32 bytes to position 64",
                "position 128 (go on from there with --from 128)"), listen.errLines());
    }

    @Test
    void verifyReportsEachDamagedPlaceAndFails() {
        Run verify = run("", "log", "verify", path.toString());
        assertEquals(1, verify.code(), verify.err());
        assertEquals(List.of(path + ": 3 intact records, 1 damaged places (32 bytes skipped)"), verify.outLines());
        String endpoint = log + "?from=start&onDamage=skip&spin=0&maxFrame=1g";
        assertEquals(List.of(damageLine(endpoint) + "; skipped 32 bytes to position 64"), verify.errLines());
    }

    @Test
    void salvageCopiesTheIntactRecordsIntoALogThatVerifies() {
        Path copy = dir.resolve("copy");
        Run salvage = run("", "log", "salvage", path.toString(), copy.toString());
        assertEquals(0, salvage.code(), salvage.err());
        assertEquals(List.of("copied 3 records to " + copy + "; skipped 1 damaged places (32 bytes)"),
                salvage.outLines());
        assertEquals(1, salvage.errLines().size());
        Run verify = run("", "log", "verify", copy.toString());
        assertEquals(0, verify.code(), verify.err());
        assertEquals("", verify.err());
        Run listen = run("", "listen", "log:" + copy, "--from", "start", "--count", "3");
        assertEquals(List.of("one", "six", "ten"), listen.outLines());
        Run again = run("", "log", "salvage", path.toString(), copy.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().startsWith("conduit: " + copy + " exists; salvage makes a new log"), again.err());
    }

    @Test
    void verifyRefusesAPathThatIsNoLog() {
        Run verify = run("", "log", "verify", dir.resolve("none").toString());
        assertEquals(2, verify.code());
        assertTrue(Files.notExists(dir.resolve("none")), "verify made a log");
    }
}
