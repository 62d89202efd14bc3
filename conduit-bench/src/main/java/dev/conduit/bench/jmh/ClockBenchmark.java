package dev.conduit.bench.jmh;

import dev.conduit.internal.posix.Clocks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * What a {@code log:} sender pays per record for its append time: the wall clock read exactly
 * ({@code ?time=precise}) or as of the last timer tick (the default), beside the JDK's own reads.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ClockBenchmark {
    private final MemorySegment timespec = Clocks.allocateTimespec(Arena.ofAuto());

    @Benchmark
    public long precise() {
        return Clocks.realtimeNanos(timespec, false);
    }

    @Benchmark
    public long coarse() {
        return Clocks.realtimeNanos(timespec, true);
    }

    @Benchmark
    public long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    @Benchmark
    public Instant instantNow() {
        return Instant.now();
    }
}
