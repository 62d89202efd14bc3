package dev.conduit.bench.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JMH finds benchmarks through {@code META-INF/BenchmarkList}, written by its annotation
 * processor. Since JDK 23 javac runs processors only when they are listed, and without the list
 * every benchmark silently vanishes; this fails instead. Runs no benchmark.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BenchmarkListTest {
    @Test
    void benchmarkListNamesEveryBenchmarkClass() throws IOException {
        String list;
        ClassLoader loader = BenchmarkListTest.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream("META-INF/BenchmarkList")) {
            assertNotNull(in, "META-INF/BenchmarkList is not on the class path: the JMH annotation processor"
                    + " did not run");
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (Class<?> benchmark : new Class<?>[] {FrameCodecBenchmark.class, SendReceiveBenchmark.class,
            SendReceiveSplitBenchmark.class, BatchedThroughputBenchmark.class, ChannelBenchmark.class,
            SessionBenchmark.class}) {
            assertTrue(list.contains(" " + benchmark.getName() + " "),
                    benchmark.getName() + " is missing from:\n" + list);
        }
    }
}
