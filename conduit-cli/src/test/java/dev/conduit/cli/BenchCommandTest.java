package dev.conduit.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code conduit bench} for real, cut down to a few hundred messages per row. */
@Timeout(90)
final class BenchCommandTest {
    private CliProcess bench;
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (bench != null) {
            bench.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void printsTheTableAndWritesJsonAndAChart() throws Exception {
        dir = Files.createTempDirectory("bench-test");
        Path json = dir.resolve("out.json");
        Path png = dir.resolve("out.png");
        bench = CliProcess.start("bench", "--transport", "unix,mem,unix?spin=0", "--size", "64,1k", "--messages", "200",
                "--warmup", "0ms", "--json", json.toString(), "--plot", png.toString());
        int code = bench.awaitExit(Duration.ofSeconds(80));
        List<String> out = bench.stdout();
        assertEquals(0, code, () -> "stdout: " + out + "\nstderr: " + bench.stderr());
        assertTrue(out.getFirst().startsWith("machine: "), out.getFirst());
        assertTrue(out.get(1).startsWith("command: conduit bench --transport unix,mem,unix?spin=0"), out.get(1));
        for (String row : List.of("unix +64 B", "mem +64 B", "unix +1 KiB", "mem +1 KiB", "c-uds +64 B", "c-pipe +1 KiB",
                "c-shm +64 B", "unix\\?spin=0 +64 B")) {
            assertEquals(1, out.stream().filter(l -> l.matches(row + " .*")).count(), row + " in " + out);
        }
        assertTrue(bench.stderr().getLast().contains("18/18 done"), bench.stderr().toString());
        assertTrue(out.stream().anyMatch(l -> l.matches("unix +64 B .* [0-9.]+x .*")), "no ratio to C: " + out);
        assertTrue(out.stream().anyMatch(l -> l.matches("unix\\?spin=0 +64 B .* [0-9.]+x .*")), "no ratio to C: " + out);
        String text = Files.readString(json);
        assertTrue(text.contains("\"machine\": {\"cpu\": "), text);
        assertTrue(text.contains("{\"transport\": \"unix\", \"kind\": \"conduit\", \"size\": 64, \"p50_ns\": "), text);
        assertTrue(text.contains("\"baseline\": \"c-uds\""), text);
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "not a PNG");
        assertTrue(image.getWidth() > 500 && image.getHeight() > 300);
        assertNotNull(ImageIO.read(dir.resolve("out-throughput.png").toFile()), "no throughput chart beside it");
    }

    @Test
    void refusesUnknownTransportsAndSizes() throws Exception {
        bench = CliProcess.start("bench", "--transport", "carrier-pigeon");
        assertEquals(2, bench.awaitExit(Duration.ofSeconds(20)));
        assertTrue(bench.stderr().getFirst().startsWith("conduit: --transport carrier-pigeon: unknown transport carrier-pigeon (expected one of unix,"),
                bench.stderr().toString());
        bench.close();
        bench = CliProcess.start("bench", "--size", "8");
        assertEquals(2, bench.awaitExit(Duration.ofSeconds(20)));
        assertTrue(bench.stderr().getFirst().startsWith("conduit: --size 8 (expected 16 bytes to 16m"),
                bench.stderr().toString());
    }
}
