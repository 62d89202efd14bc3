package dev.conduit.bench;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One process of a fan-out row ({@link FanoutBench}): the publisher, or one subscriber, of
 * Conduit's {@code shmfan:} or Aeron IPC (one exclusive publication, one subscription per
 * subscriber process, the media driver embedded in the publisher's process).
 *
 * <p>Every message starts with a u64 sequence number and the u64 {@link System#nanoTime()} of its
 * send (one clock for every process of a host). The publisher sends, after {@code go} on its
 * standard input: a warm-up at full speed; a mark; the throughput phase at full speed; a mark;
 * a pause of {@value #SETTLE_MILLIS} ms for the subscribers to drain; the latency phase, one
 * message every {@value #GAP_NANOS} ns; a last mark. A mark is a message
 * whose sequence number is negative. Each subscriber checks every sequence number (none lost,
 * none out of order), counts the throughput phase's messages over the time between the two marks
 * as it saw them, records the latency phase's send-to-receive times, and prints
 * {@code result MESSAGES NANOS P50_NS P99_NS}.
 */
final class FanoutPeer {
    static final long GAP_NANOS = 50_000;
    static final long SETTLE_MILLIS = 300;
    static final String CONDUIT = "shmfan";
    static final String AERON = "aeron";
    /** Each library gets the same buffer: Conduit's ring, Aeron's term. */
    static final String BUFFER = "4m";
    private static final String AERON_CHANNEL = "aeron:ipc?term-length=" + BUFFER;
    private static final int STREAM = 10;
    private static final long WARMUP_END = -1;
    private static final long THROUGHPUT_END = -2;
    private static final long LATENCY_END = -3;

    private FanoutPeer() {
    }

    /**
     * @param args {@code fanout-pub IMPL NAME SIZE WARMUP_NS DURATION_NS SPIN} or
     *             {@code fanout-sub IMPL ADDRESS SPIN}; SPIN is Conduit's {@code ?spin=}, or {@code -}
     */
    static void run(String[] args) throws Exception {
        String impl = args[1];
        String spin = args[args.length - 1].equals("-") ? "" : "&spin=" + args[args.length - 1];
        if (args[0].equals("fanout-pub")) {
            int size = Integer.parseInt(args[3]);
            long warmup = Long.parseLong(args[4]);
            long duration = Long.parseLong(args[5]);
            if (impl.equals(CONDUIT)) {
                String endpoint = "shmfan:" + args[2] + "?size=" + BUFFER + "&subscribers=8" + spin;
                try (MessageSender sender = Conduit.openSender(endpoint)) {
                    publish(endpoint, size, warmup, duration, sender::send);
                }
            } else {
                try (MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                        .aeronDirectoryName(args[2]).threadingMode(ThreadingMode.SHARED)
                        .dirDeleteOnStart(true).dirDeleteOnShutdown(true));
                        Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
                        ExclusivePublication publication = aeron.addExclusivePublication(AERON_CHANNEL, STREAM)) {
                    UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
                    IdleStrategy idle = new BackoffIdleStrategy();
                    publish(driver.aeronDirectoryName(), size, warmup, duration, message -> {
                        buffer.wrap(message);
                        long result;
                        while ((result = publication.offer(buffer, 0, message.length)) < 0) {
                            if (result == ExclusivePublication.CLOSED
                                    || result == ExclusivePublication.MAX_POSITION_EXCEEDED) {
                                throw new IllegalStateException("aeron: offer: " + result);
                            }
                            idle.idle();
                        }
                    });
                }
            }
        } else if (impl.equals(CONDUIT)) {
            subscribeConduit("shmfan:" + args[2] + "?subscribers=8" + spin);
        } else {
            subscribeAeron(args[2]);
        }
    }

    @FunctionalInterface
    private interface Send {
        void send(byte[] message) throws Exception;
    }

    private static void publish(String address, int size, long warmup, long duration, Send send) throws Exception {
        System.out.println("ready " + address);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"go".equals(in.readLine())) {
            throw new IllegalStateException("fanout-pub: expected 'go'");
        }
        byte[] message = new byte[size];
        ByteBuffer fields = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        long seq = 0;
        long end = System.nanoTime() + warmup;
        while (System.nanoTime() - end < 0) {
            seq = stampAndSend(send, message, fields, seq);
        }
        mark(send, message, fields, WARMUP_END);
        end = System.nanoTime() + duration;
        while (System.nanoTime() - end < 0) {
            seq = stampAndSend(send, message, fields, seq);
        }
        mark(send, message, fields, THROUGHPUT_END);
        // The throughput phase leaves the buffer full: let every subscriber drain it, so that the
        // latency phase measures a steady stream, not the backlog.
        Thread.sleep(SETTLE_MILLIS);
        end = System.nanoTime() + duration;
        long next = System.nanoTime();
        while (next - end < 0) {
            while (System.nanoTime() - next < 0) {
                Thread.onSpinWait();
            }
            seq = stampAndSend(send, message, fields, seq);
            next += GAP_NANOS;
        }
        mark(send, message, fields, LATENCY_END);
        System.out.println("done " + seq);
        System.out.flush();
        in.readLine(); // the parent closes our input once every subscriber has reported
    }

    private static long stampAndSend(Send send, byte[] message, ByteBuffer fields, long seq) throws Exception {
        fields.putLong(0, seq);
        fields.putLong(8, System.nanoTime());
        send.send(message);
        return seq + 1;
    }

    private static void mark(Send send, byte[] message, ByteBuffer fields, long mark) throws Exception {
        fields.putLong(0, mark);
        fields.putLong(8, System.nanoTime());
        send.send(message);
    }

    /** What a subscriber keeps: the checks, the throughput count, the latency histogram. */
    private static final class Tally {
        final Histogram latency = new Histogram(3_600_000_000_000L, 3);
        long expected = -1;
        long phase;
        long counted;
        long startedAt;
        long endedAt;

        /** @return whether the last mark has come */
        boolean take(long seq, long stamp) {
            long now = System.nanoTime();
            if (seq < 0) {
                phase = -seq;
                if (seq == WARMUP_END) {
                    startedAt = now;
                } else if (seq == THROUGHPUT_END) {
                    endedAt = now;
                }
                return seq == LATENCY_END;
            }
            if (expected >= 0 && seq != expected) {
                throw new IllegalStateException("fanout-sub: message " + seq + " where " + expected + " was due");
            }
            expected = seq + 1;
            if (phase == 1) {
                counted++;
            } else if (phase == 2) {
                latency.recordValue(Math.max(0, now - stamp));
            }
            return false;
        }

        void report() {
            System.out.println("result " + counted + " " + (endedAt - startedAt) + " "
                    + latency.getValueAtPercentile(50) + " " + latency.getValueAtPercentile(99));
            System.out.flush();
        }
    }

    private static void subscribeConduit(String endpoint) throws Exception {
        Tally tally = new Tally();
        boolean[] done = new boolean[1];
        try (MessageReceiver receiver = Conduit.openReceiver(endpoint)) {
            System.out.println("joined");
            System.out.flush();
            while (!done[0]) {
                receiver.poll(m -> {
                    ByteBuffer le = m.order(ByteOrder.LITTLE_ENDIAN);
                    done[0] |= tally.take(le.getLong(m.position()), le.getLong(m.position() + 8));
                }, 256, Duration.ofSeconds(60));
            }
        }
        tally.report();
    }

    private static void subscribeAeron(String dir) {
        Tally tally = new Tally();
        boolean[] done = new boolean[1];
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir));
                Subscription subscription = aeron.addSubscription(AERON_CHANNEL, STREAM)) {
            IdleStrategy idle = new BackoffIdleStrategy();
            while (!subscription.isConnected()) {
                idle.idle();
            }
            System.out.println("joined");
            System.out.flush();
            FragmentHandler handler = new FragmentAssembler((buffer, offset, length, header) ->
                    done[0] |= tally.take(buffer.getLong(offset), buffer.getLong(offset + 8)));
            while (!done[0]) {
                idle.idle(subscription.poll(handler, 256));
            }
        }
        tally.report();
    }
}
