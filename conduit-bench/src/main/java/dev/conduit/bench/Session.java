package dev.conduit.bench;

import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * What the two sides of a measurement say to each other, in five phases, each ended by an
 * empty message:
 *
 * <ol>
 * <li>ping-pong: the client sends, the server echoes, the client checks the echo and records the
 *     round trip once the warm-up time has passed; the server answers the end with an empty
 *     message;</li>
 * <li>throughput warm-up, then 3. throughput: the client sends as fast as it can, one
 *     {@link Link#send} per message; the server checks every message's sequence number and
 *     checksum ({@link Link#receiveChecked}, in place where the library allows) and answers the
 *     end with the count it received (8 bytes);</li>
 * <li>batched warm-up, then 5. batched: the same with {@link Link#flush} after every
 *     {@value #BATCH_BYTES} bytes of frames (as the C baseline packs one write).</li>
 * </ol>
 *
 * Any wrong message throws, which fails the run loudly. The client says {@code phase N} on its
 * standard output as each phase ends, so the harness can tell a stalled side from a slow one.
 */
public final class Session {
    /** Bytes of frames between flushes in the batched phases: as the C baseline's one write. */
    static final int BATCH_BYTES = 64 * 1024;
    private static final int PHASES = 5;
    /** What the client says as phase N (from 1) ends: this, then N. */
    static final String PHASE = "phase ";
    /** The phases, in order. */
    static final java.util.List<String> PHASE_NAMES = java.util.List.of("ping-pong", "throughput warm-up",
            "throughput", "batched warm-up", "batched");
    /**
     * Test hook: the client stops for good before this phase (from 1), as a stalled peer would;
     * 0 for never.
     */
    static final String STALL_PROPERTY = "conduit.bench.stallBeforePhase";
    private static final long HISTOGRAM_MAX_NANOS = TimeUnit.SECONDS.toNanos(10);

    private Session() {
    }

    /**
     * How long the client measures.
     *
     * @param durationMillis each phase's measured time
     * @param warmupMillis   each warm-up's time
     * @param maxMessages    an upper bound on messages per phase (for smoke runs)
     * @param pinServer      the {@code taskset} CPU list for a server the client starts, or {@code -}
     */
    public record Plan(long durationMillis, long warmupMillis, long maxMessages, String pinServer) {
        /** @return the plan written as {@link #parse} reads it */
        @Override
        public String toString() {
            return durationMillis + "," + warmupMillis + "," + maxMessages + "," + pinServer;
        }

        static Plan parse(String text) {
            String[] p = text.split(",");
            return new Plan(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]), p[3]);
        }
    }

    /** Serves one client through all phases. */
    static void serve(Link link, int size) throws Exception {
        Payloads payloads = new Payloads(size);
        try (link) {
            while (true) {
                byte[] m = link.receive();
                if (link.lastLength() == 0) {
                    link.send(m, 0);
                    break;
                }
                link.send(m, link.lastLength());
            }
            for (int phase = 1; phase < PHASES; phase++) {
                long count = link.receiveChecked(payloads);
                byte[] ack = ByteBuffer.allocate(8).putLong(0, count).array();
                link.send(ack, 8);
            }
        }
    }

    /**
     * Runs every phase as the client and returns the result as {@code key=value} pairs.
     *
     * @param progress told {@link #PHASE} and the phase's number as each phase ends
     */
    static String drive(Link link, int size, Plan plan, java.util.function.Consumer<String> progress)
            throws Exception {
        Payloads payloads = new Payloads(size);
        int stallBefore = Integer.getInteger(STALL_PROPERTY, 0);
        long[][] rates = new long[PHASES][];
        Histogram rtt = null;
        for (int phase = 1; phase <= PHASES; phase++) {
            if (phase == stallBefore) {
                Thread.sleep(Long.MAX_VALUE);
            }
            boolean measured = phase != 2 && phase != 4;
            if (phase == 1) {
                rtt = pingPong(link, payloads, plan);
            } else {
                rates[phase - 1] = throughput(link, payloads, measured ? plan.durationMillis() : plan.warmupMillis(),
                        plan.maxMessages(), phase >= 4);
            }
            progress.accept(PHASE + phase);
        }
        long[] single = rates[2];
        long[] batched = rates[4];
        return "p50_ns=" + rtt.getValueAtPercentile(50) + " p90_ns=" + rtt.getValueAtPercentile(90)
                + " p99_ns=" + rtt.getValueAtPercentile(99) + " p999_ns=" + rtt.getValueAtPercentile(99.9)
                + " max_ns=" + rtt.getMaxValue() + " count=" + rtt.getTotalCount()
                + " tp_messages=" + single[0] + " tp_nanos=" + single[1]
                + " batch_messages=" + batched[0] + " batch_nanos=" + batched[1];
    }

    private static Histogram pingPong(Link link, Payloads payloads, Plan plan) throws Exception {
        Histogram histogram = new Histogram(HISTOGRAM_MAX_NANOS, 3);
        long start = System.nanoTime();
        long warmEnd = start + TimeUnit.MILLISECONDS.toNanos(plan.warmupMillis());
        long end = warmEnd + TimeUnit.MILLISECONDS.toNanos(plan.durationMillis());
        int seq = 0;
        long recorded = 0;
        while (true) {
            byte[] message = payloads.next(seq);
            long t0 = System.nanoTime();
            link.send(message, message.length);
            byte[] echo = link.receive();
            long t1 = System.nanoTime();
            payloads.verify(echo, link.lastLength(), seq++);
            if (t0 >= warmEnd) {
                histogram.recordValue(Math.min(t1 - t0, HISTOGRAM_MAX_NANOS));
                if (++recorded >= plan.maxMessages() || t1 >= end) {
                    break;
                }
            }
        }
        link.send(new byte[0], 0);
        link.receive();
        if (link.lastLength() != 0) {
            throw new IllegalStateException("ping-pong end: expected an empty message, got " + link.lastLength());
        }
        return histogram;
    }

    /** @return how many frames of this payload size make one batch */
    static long messagesPerBatch(int size) {
        return Math.max(1, BATCH_BYTES / (size + 4));
    }

    /** @return {messages, nanos} from the first send to the server's acknowledgement */
    private static long[] throughput(Link link, Payloads payloads, long millis, long maxMessages, boolean batch)
            throws Exception {
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
        long perBatch = messagesPerBatch(payloads.size());
        long sent = 0;
        while (sent < maxMessages) {
            byte[] m = payloads.next((int) sent);
            if (batch) {
                link.write(m, m.length);
            } else {
                link.send(m, m.length);
            }
            sent++;
            if (batch && sent % perBatch == 0) {
                link.flush();
            }
            if ((sent & 255) == 0 && System.nanoTime() >= end) {
                break;
            }
        }
        link.flush();
        link.send(new byte[0], 0);
        link.flush();
        byte[] ack = link.receive();
        long nanos = System.nanoTime() - start;
        long counted = ByteBuffer.wrap(ack, 0, 8).getLong();
        if (link.lastLength() != 8 || counted != sent) {
            throw new IllegalStateException("throughput: sent " + sent + " messages, the peer counted " + counted);
        }
        return new long[] {sent, nanos};
    }
}
