package dev.conduit.bench.jmh;

import dev.conduit.channel.Channel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;

/**
 * One value from a sending thread to a receiving thread, per operation, through Conduit's
 * {@link Channel} and through the JDK queues a Java engineer would otherwise use. Both threads
 * wait when they must, with a time-out so that the side left waiting when an iteration ends
 * returns ({@code send}/{@code receive} with a {@code Duration}, {@code offer}/{@code poll});
 * each side's score is its own rate. Run: {@code bin/jmh ChannelBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Group)
public class ChannelBenchmark {
    /** Capacity of every bounded variant. */
    static final int CAPACITY = 1024;
    private static final Integer VALUE = 42;
    private static final Duration WAIT = Duration.ofMillis(10);
    private static final long WAIT_MILLIS = WAIT.toMillis();

    @Param({"channel-bounded", "channel-unbounded", "ArrayBlockingQueue", "LinkedTransferQueue"})
    public String queue;

    private Channel.Sender<Integer> sender;
    private Channel.Receiver<Integer> receiver;
    private BlockingQueue<Integer> jdk;

    @Setup(Level.Iteration)
    public void open() {
        switch (queue) {
            case "channel-bounded", "channel-unbounded" -> {
                Channel<Integer> channel = queue.equals("channel-bounded") ? Channel.bounded(CAPACITY)
                        : Channel.unbounded();
                sender = channel.sender();
                receiver = channel.receiver();
            }
            case "ArrayBlockingQueue" -> jdk = new ArrayBlockingQueue<>(CAPACITY);
            case "LinkedTransferQueue" -> jdk = new LinkedTransferQueue<>();
            default -> throw new IllegalArgumentException("queue: " + queue);
        }
    }

    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public boolean send() throws InterruptedException {
        return jdk != null ? jdk.offer(VALUE, WAIT_MILLIS, TimeUnit.MILLISECONDS) : sender.send(VALUE, WAIT);
    }

    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public Integer receive() throws InterruptedException {
        return jdk != null ? jdk.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS) : receiver.receive(WAIT);
    }
}
