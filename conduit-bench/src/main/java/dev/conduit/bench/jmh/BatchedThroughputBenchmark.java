package dev.conduit.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What batching saves: {@value #BATCH} messages sent one {@code send} each, against the same
 * messages {@code write}n and {@code flush}ed once; then the receiving end polls all of them.
 * One thread does both sides, so results are the whole cost per message, in nanoseconds. On the
 * socket transports a flushed batch is one {@code write} system call instead of
 * {@value #BATCH}; on {@code mem:} a write is a send, so both rows should match.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BatchedThroughputBenchmark {
    static final int BATCH = 32;

    @Param({"mem", "unix", "tcp"})
    public String transport;

    @Param({"64", "1024"})
    public int size;

    private Pair pair;
    private byte[] payload;
    private final SendReceiveBenchmark.Sink sink = new SendReceiveBenchmark.Sink();

    @Setup(Level.Trial)
    public void open() throws IOException {
        pair = Pair.open(transport, "");
        payload = new byte[size];
        ThreadLocalRandom.current().nextBytes(payload);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        pair.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sendEach() throws IOException {
        for (int i = 0; i < BATCH; i++) {
            pair.client.send(payload);
        }
        return receiveBatch();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int writeThenFlush() throws IOException {
        for (int i = 0; i < BATCH; i++) {
            pair.client.write(payload);
        }
        pair.client.flush();
        return receiveBatch();
    }

    private int receiveBatch() throws IOException {
        int received = 0;
        while (received < BATCH) {
            int n = pair.server.poll(sink, BATCH - received);
            if (n == 0) {
                Thread.onSpinWait();
            }
            received += n;
        }
        return sink.last;
    }
}
