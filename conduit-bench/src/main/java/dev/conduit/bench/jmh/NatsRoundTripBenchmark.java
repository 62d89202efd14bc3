package dev.conduit.bench.jmh;

import dev.conduit.Conduit;
import dev.conduit.Listener;
import dev.conduit.bench.link.NatsRows;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
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

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One 64-byte round trip through a NATS server, both ends in this JVM with an echoing thread:
 * through a Conduit {@code nats://} connection ({@code listen}/{@code connect}), or through the
 * jnats client alone on two inbox-shaped subjects of the same length, copying each message as
 * Conduit does. Both run in the same JMH run, one after the other, so their ratio is Conduit's
 * layer; unlike {@code conduit bench}'s {@code nats} row, nothing here depends on how two
 * processes pinned to one CPU each share it with jnats' threads. Needs the server that
 * {@code CONDUIT_BENCH_NATS} names ({@code nats-server -js}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class NatsRoundTripBenchmark {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Param({"conduit", "jnats"})
    public String client;

    private final byte[] message = new byte[64];
    private Closer closer;
    private RoundTrip trip;

    @FunctionalInterface
    private interface RoundTrip {
        byte[] run(byte[] message) throws Exception;
    }

    @FunctionalInterface
    private interface Closer {
        void close() throws Exception;
    }

    @Setup(Level.Trial)
    public void open() throws Exception {
        String server = System.getenv(NatsRows.SERVER_VARIABLE);
        if (server == null) {
            throw new IllegalStateException(NatsRows.unavailable().orElseThrow());
        }
        String subject = "jmh" + ProcessHandle.current().pid();
        if (client.equals("conduit")) {
            Listener listener = Conduit.listen(server + "/" + subject);
            dev.conduit.Connection near = Conduit.connect(server + "/" + subject, WAIT);
            dev.conduit.Connection far = listener.accept(WAIT);
            Thread echo = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        far.send(far.receive());
                    }
                } catch (Exception e) {
                    // Closed at tear-down.
                }
            });
            trip = m -> {
                near.send(m);
                return near.receive();
            };
            closer = () -> {
                near.close();
                far.close();
                listener.close();
                echo.join(WAIT);
            };
            return;
        }
        io.nats.client.Connection a = Nats.connect(server);
        io.nats.client.Connection b = Nats.connect(server);
        String there = NatsRows.inbox(subject, "s");
        String back = NatsRows.inbox(subject, "c");
        Subscription in = a.subscribe(back);
        Subscription served = b.subscribe(there);
        a.flush(WAIT);
        b.flush(WAIT);
        Thread echo = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    Message m = served.nextMessage(Duration.ofDays(1));
                    b.publish(back, Arrays.copyOf(m.getData(), m.getData().length));
                }
            } catch (Exception e) {
                // Closed at tear-down.
            }
        });
        trip = m -> {
            a.publish(there, Arrays.copyOf(m, m.length));
            return in.nextMessage(Duration.ofDays(1)).getData();
        };
        closer = () -> {
            a.close();
            b.close();
            echo.join(WAIT);
        };
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        closer.close();
    }

    @Benchmark
    public byte[] roundTrip() throws Exception {
        return trip.run(message);
    }
}
