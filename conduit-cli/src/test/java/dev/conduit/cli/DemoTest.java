package dev.conduit.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code conduit demo} for real: its own JVM, which spawns the child JVM it measures with. */
@Timeout(60)
final class DemoTest {
    private CliProcess demo;

    @AfterEach
    void stopDemo() {
        if (demo != null) {
            demo.close();
        }
    }

    @Test
    void roundTripsOverEveryTransportAndFindsEveryPayloadIntact() throws Exception {
        demo = CliProcess.start("demo", "--messages", "200");
        int code = demo.awaitExit(Duration.ofSeconds(40));
        List<String> out = demo.stdout();
        assertEquals(0, code, () -> "stdout: " + out + "\nstderr: " + demo.stderr());

        assertTrue(out.getFirst().matches("Conduit demo: a child JVM \\(pid [0-9]+\\) echoes messages over each"
                + " transport"), out.getFirst());
        assertTrue(out.stream().anyMatch(l -> l.startsWith("transport ") && l.contains("median RTT (µs)")
                && l.contains("p99 RTT (µs)") && l.endsWith("msgs/s")), out.toString());
        for (String transport : DemoCommand.TRANSPORTS) {
            // label, messages, bytes (2 x 200 x 64), median, p99, msgs/s
            String row = "\\Q" + transport + "\\E +200 +25,600 +[0-9]+\\.[0-9] +[0-9]+\\.[0-9] +[0-9,]+";
            assertEquals(1, out.stream().filter(l -> l.matches(row)).count(), transport + " row in " + out);
        }
        assertEquals("all 200×" + DemoCommand.TRANSPORTS.size() + " payloads came back intact", out.getLast());
        assertEquals(List.of(), demo.stderr());
        assertNothingLeftBehind(demo.process().pid());
    }

    @Test
    void rejectsAPayloadTooSmallForItsSequenceNumber() throws Exception {
        demo = CliProcess.start("demo", "--size", "7");
        assertEquals(2, demo.awaitExit(Duration.ofSeconds(20)));
        assertEquals(List.of("conduit: --size 7 (expected 8 to 1048576 bytes) (see 'conduit demo --help')"),
                demo.stderr());
    }

    private static void assertNothingLeftBehind(long pid) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> entries = Files.list(tmp)) {
            List<Path> left = entries.filter(p -> p.getFileName().toString().startsWith("conduit-demo-" + pid + "-"))
                    .toList();
            assertEquals(List.of(), left, "temporary directories left behind");
        }
        String tmpdir = System.getenv("TMPDIR");
        Path pipeDir = Path.of(tmpdir == null || tmpdir.isEmpty() ? "/tmp" : tmpdir);
        assertFalse(Files.exists(pipeDir.resolve("CoreFxPipe_conduit-demo-" + pid)), "pipe socket left behind");
    }
}
