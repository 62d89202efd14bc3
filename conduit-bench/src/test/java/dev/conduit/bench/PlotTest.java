package dev.conduit.bench;

import dev.conduit.bench.Measurement.Kind;
import dev.conduit.bench.Measurement.Latency;
import dev.conduit.bench.Measurement.Throughput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class PlotTest {
    private static Measurement row(String transport, int size, Latency latency, long perSecond, long batched) {
        return new Measurement(transport, Kind.CONDUIT, size, latency, new Throughput(perSecond, 1_000_000_000L, size),
                new Throughput(batched, 1_000_000_000L, size));
    }

    @Test
    void theThroughputChartGoesBesideTheLatencyChart() {
        assertEquals(Path.of("out", "bench-throughput.png"), Plot.throughputFile(Path.of("out", "bench.png")));
        assertEquals(Path.of("BENCH-throughput.png"), Plot.throughputFile(Path.of("BENCH.PNG")));
        assertEquals(Path.of("chart-throughput.png"), Plot.throughputFile(Path.of("chart")));
    }

    @Test
    void writesOnePanelPerSizeToEachChart(@TempDir Path dir) throws Exception {
        Latency latency = new Latency(1_000, 2_000, 3_000, 4_000, 5_000, 100);
        List<Measurement> rows = List.of(row("unix", 64, latency, 1_000_000, 5_000_000),
                row("unix [virtual]", 64, latency, 900_000, 4_000_000),
                row("shm", 1024, latency, 20_000_000, 40_000_000),
                // A baseline measured for throughput alone: on the throughput chart only.
                new Measurement("c-shm", Kind.BASELINE, 4096, null, new Throughput(1, 1_000_000_000L, 4096), null));
        Path latencyFile = dir.resolve("run.png");
        Plot.write(rows, "test", latencyFile);
        Plot.writeThroughput(rows, "test", Plot.throughputFile(latencyFile));
        BufferedImage latencyImage = ImageIO.read(latencyFile.toFile());
        BufferedImage throughputImage = ImageIO.read(dir.resolve("run-throughput.png").toFile());
        assertNotNull(latencyImage);
        assertNotNull(throughputImage);
        assertEquals(60 + 2 * 420, latencyImage.getHeight(), "two sizes with latency");
        assertEquals(60 + 3 * 420, throughputImage.getHeight(), "three sizes with throughput");
        assertTrue(hasColour(throughputImage, 0x2ca02c), "batched bars drawn");
    }

    private static boolean hasColour(BufferedImage image, int rgb) {
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }
}
