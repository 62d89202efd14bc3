package dev.conduit.bench.jmh;

import dev.conduit.MessageHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one message through one connected pair in this JVM: the benchmark thread sends,
 * then receives the same message on the other end. Nothing overlaps, so each result is the
 * whole per-message cost of both sides (system calls included) without any thread hand-off.
 *
 * <ul>
 *   <li>{@link #sendPoll}: {@code send(byte[])} then {@code poll(handler, 1)}, the zero-copy
 *       receive path. With {@code -prof gc}, {@code gc.alloc.rate.norm} is what one message
 *       allocates in steady state.</li>
 *   <li>{@link #sendReceive}: {@code send(byte[])} then {@code receive()}, the copying path: the
 *       received array is the one allocation it must make.</li>
 * </ul>
 *
 * <p>{@code poll} never blocks; a stream socket has the bytes in the peer's receive queue when
 * {@code write} returns (loopback TCP almost always), so the poll loop rarely spins.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SendReceiveBenchmark {
    @Param({"mem", "unix", "tcp", "shm"})
    public String transport;

    @Param({"64", "1024", "65536"})
    public int size;

    private Pair pair;
    private byte[] payload;
    private final Sink sink = new Sink();

    /** Reads one byte of every message, so the view is really used. */
    static final class Sink implements MessageHandler {
        int last;

        @Override
        public void onMessage(ByteBuffer message) {
            last = message.remaining() == 0 ? 0 : message.get(message.position());
        }
    }

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
    public int sendPoll() throws IOException {
        pair.client.send(payload);
        while (pair.server.poll(sink, 1) == 0) {
            Thread.onSpinWait();
        }
        return sink.last;
    }

    @Benchmark
    public byte[] sendReceive() throws IOException {
        pair.client.send(payload);
        return pair.server.receive();
    }
}
