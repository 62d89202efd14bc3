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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A round trip between two threads of this JVM: the benchmark thread sends a message, an echo
 * thread sends it back. Conduit's in-process and shared-memory connections against the JDK's
 * queues doing the same hand-off, so their ratio is taken in one run:
 *
 * <ul>
 *   <li>{@code mem}, {@code shm}: Conduit connections with their default {@code ?spin=};
 *       {@code mem-park} is {@code mem:?spin=0}, whose receiver parks at once.</li>
 *   <li>{@code abq}: a pair of {@link ArrayBlockingQueue}s, {@code put} and {@code take} (a
 *       receiver that finds it empty parks).</li>
 *   <li>{@code sq}: a pair of {@link SynchronousQueue}s (which spin a little before parking).</li>
 *   <li>{@code ltq-spin}: a pair of {@link LinkedTransferQueue}s, the receiver polling in a busy
 *       loop: the floor for a JDK hand-off between two busy threads.</li>
 * </ul>
 *
 * <p>Two threads, so two CPUs: on a machine shared with other work the figures move a lot; compare
 * the rows of one run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HandOffBenchmark {
    @Param({"mem", "mem-park", "shm", "abq", "sq", "ltq-spin"})
    public String handOff;

    @Param({"64"})
    public int size;

    private Pair pair;
    private BlockingQueue<byte[]> there;
    private BlockingQueue<byte[]> back;
    private boolean busyPoll;
    private Thread echo;
    private byte[] payload;

    @Setup(Level.Trial)
    public void open() throws IOException {
        payload = new byte[size];
        ThreadLocalRandom.current().nextBytes(payload);
        switch (handOff) {
            case "mem", "shm" -> pair = Pair.open(handOff, "");
            case "mem-park" -> pair = Pair.open("mem", "spin=0");
            case "abq" -> queues(new ArrayBlockingQueue<>(1024), new ArrayBlockingQueue<>(1024), false);
            case "sq" -> queues(new SynchronousQueue<>(), new SynchronousQueue<>(), false);
            case "ltq-spin" -> queues(new LinkedTransferQueue<>(), new LinkedTransferQueue<>(), true);
            default -> throw new IllegalArgumentException("handOff: " + handOff);
        }
        echo = Thread.ofPlatform().daemon().name("echo-" + handOff).start(this::echo);
    }

    private void queues(BlockingQueue<byte[]> out, BlockingQueue<byte[]> in, boolean poll) {
        there = out;
        back = in;
        busyPoll = poll;
    }

    /** Sends back what comes, until the connection closes or the thread is interrupted. */
    private void echo() {
        try {
            while (true) {
                if (pair != null) {
                    pair.server.send(pair.server.receive());
                } else {
                    back.put(take(there));
                }
            }
        } catch (IOException | InterruptedException e) {
            // The trial is over.
        }
    }

    private byte[] take(BlockingQueue<byte[]> queue) throws InterruptedException {
        if (!busyPoll) {
            return queue.take();
        }
        byte[] message;
        while ((message = queue.poll()) == null) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Thread.onSpinWait();
        }
        return message;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException, InterruptedException {
        echo.interrupt();
        if (pair != null) {
            pair.close();
        }
        echo.join(5_000);
    }

    @Benchmark
    public byte[] roundTrip() throws IOException, InterruptedException {
        if (pair != null) {
            pair.client.send(payload);
            return pair.client.receive();
        }
        there.put(payload);
        return take(back);
    }
}
