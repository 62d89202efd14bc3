package dev.conduit.cli;

import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Round trips over a connection whose peer echoes every message: send one, wait for it back,
 * compare byte for byte, repeat. One round trip is in flight at a time, so each sample is the
 * latency of a whole trip there and back.
 *
 * <p>Payload {@code seq} is deterministic: its first 8 bytes are {@code seq} (big-endian), the
 * rest a SplitMix64 stream seeded with {@code seq}, so a payload echoed out of order, truncated
 * or altered anywhere is told apart from the one expected. Not thread-safe: one per thread.
 */
final class PingPong {
    /** The smallest payload: room for the sequence number. */
    static final int MIN_SIZE = Long.BYTES;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final byte[] payload;
    private final Duration echoTimeout;
    private long mismatches;
    private String firstMismatch;

    /**
     * @param size        the payload size in bytes, at least {@link #MIN_SIZE}
     * @param echoTimeout how long to wait for one echo before giving up on the peer
     */
    PingPong(int size, Duration echoTimeout) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("size: " + size + " (expected >= " + MIN_SIZE + ")");
        }
        this.payload = new byte[size];
        this.echoTimeout = echoTimeout;
    }

    /**
     * Runs {@code count} round trips with payloads {@code firstSeq}, {@code firstSeq + 1}, ...
     * Blocks throughout.
     *
     * @param out        where payloads go
     * @param in         where their echoes come back
     * @param label      names the transport in the result and in errors
     * @param firstSeq   the first payload's sequence number
     * @param count      how many round trips
     * @return the latencies and the time taken; mismatches are counted in {@link #mismatches()}
     * @throws IOException if sending or receiving fails, or an echo does not come within the time-out
     */
    RoundTrips run(MessageSender out, MessageReceiver in, String label, long firstSeq, int count) throws IOException {
        long[] nanos = new long[count];
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long seq = firstSeq + i;
            fill(payload, seq);
            long sent = System.nanoTime();
            out.send(payload);
            byte[] echo = in.receive(echoTimeout);
            nanos[i] = System.nanoTime() - sent;
            if (echo == null) {
                throw new IOException(label + ": no echo of payload " + seq + " within "
                        + Durations.format(echoTimeout));
            }
            if (!Arrays.equals(echo, payload)) {
                if (mismatches++ == 0) {
                    firstMismatch = describeMismatch(seq, payload, echo);
                }
            }
        }
        return new RoundTrips(label, nanos, System.nanoTime() - start, payload.length);
    }

    /** @return how many echoes differed from what was sent, over all runs */
    long mismatches() {
        return mismatches;
    }

    /** @return how the first echo that differed did so, or {@code null} if none did */
    String firstMismatch() {
        return firstMismatch;
    }

    /**
     * Writes payload {@code seq} into {@code payload}, filling it.
     *
     * @param payload the buffer, at least {@link #MIN_SIZE} bytes
     * @param seq     the sequence number
     */
    static void fill(byte[] payload, long seq) {
        for (int i = 0; i < Long.BYTES; i++) {
            payload[i] = (byte) (seq >>> (56 - 8 * i));
        }
        long state = seq;
        for (int i = Long.BYTES; i < payload.length; i += Long.BYTES) {
            state += GOLDEN_GAMMA;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            for (int j = 0; j < Long.BYTES && i + j < payload.length; j++) {
                payload[i + j] = (byte) (z >>> (8 * j));
            }
        }
    }

    static String describeMismatch(long seq, byte[] sent, byte[] got) {
        int at = Arrays.mismatch(sent, got);
        String where = at >= sent.length || at >= got.length
                ? "length " + got.length + " (expected " + sent.length + ")"
                : String.format("byte %d: 0x%02x (expected 0x%02x)", at, got[at] & 0xff, sent[at] & 0xff);
        return "payload " + seq + " came back different at " + where;
    }

    /**
     * What a run measured.
     *
     * @param label        the transport
     * @param nanos        each round trip's latency, in the order run
     * @param elapsedNanos the whole run's wall-clock time
     * @param size         the payload size in bytes
     */
    record RoundTrips(String label, long[] nanos, long elapsedNanos, int size) {
        /** @return how many round trips */
        int count() {
            return nanos.length;
        }

        /** @return payload bytes carried both ways */
        long bytes() {
            return 2L * size * nanos.length;
        }

        /** @return round trips per second over the run's wall-clock time */
        double perSecond() {
            return elapsedNanos == 0 ? 0 : nanos.length * 1e9 / elapsedNanos;
        }

        /**
         * @param fraction from 0 (exclusive) to 1, e.g. 0.5 for the median, 0.99 for p99
         * @return the nearest-rank percentile of the latencies in nanoseconds
         */
        long percentile(double fraction) {
            return percentile(sorted(), fraction);
        }

        long[] sorted() {
            long[] copy = nanos.clone();
            Arrays.sort(copy);
            return copy;
        }

        /**
         * @param sorted   latencies in ascending order, at least one
         * @param fraction from 0 (exclusive) to 1
         * @return the smallest latency that at least {@code fraction} of them do not exceed
         */
        static long percentile(long[] sorted, double fraction) {
            int rank = (int) Math.ceil(fraction * sorted.length);
            return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
        }
    }
}
