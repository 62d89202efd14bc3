package dev.conduit.bench.jmh;

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
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the session protocol costs per round trip, against raw frames, on one transport in one
 * JVM: a raw echo ({@code send} + {@code receive} of the echo), the same over a session, an
 * acknowledged {@code send} (returns when the peer's application took it), and a
 * {@code request} answered by {@code onRequest}. The peer's side runs on a thread of its own.
 * Run: {@code bin/jmh SessionBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class SessionBenchmark {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Param({"unix"})
    public String transport;

    /** {@code raw-echo}, {@code session-echo}, {@code acked-send}, {@code request}. */
    @Param({"raw-echo", "session-echo", "acked-send", "request"})
    public String call;

    private Pair pair;
    private Thread peer;
    private final byte[] message = new byte[64];

    @Setup(Level.Trial)
    public void open() throws IOException {
        pair = Pair.open(transport, switch (call) {
            case "raw-echo" -> "";
            case "acked-send" -> "protocol=conduit&ack=true";
            default -> "protocol=conduit";
        });
        if (call.equals("request")) {
            peer = pair.server.onRequest((request, reply) -> reply.send(message), e -> { });
        } else {
            boolean echo = !call.equals("acked-send");
            peer = Thread.ofPlatform().daemon().start(() -> serve(echo));
        }
    }

    private void serve(boolean echo) {
        try {
            while (true) {
                byte[] m = pair.server.receive();
                if (echo) {
                    pair.server.send(m);
                }
            }
        } catch (IOException e) {
            // The trial is over and closed the pair.
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        pair.close();
        peer.join();
    }

    @Benchmark
    public Object roundTrip() throws IOException {
        return switch (call) {
            case "acked-send" -> {
                pair.client.send(message);
                yield message;
            }
            case "request" -> pair.client.request(message, WAIT);
            default -> {
                pair.client.send(message);
                yield pair.client.receive();
            }
        };
    }
}
