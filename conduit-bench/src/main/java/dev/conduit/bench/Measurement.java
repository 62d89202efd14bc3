package dev.conduit.bench;

import java.util.Objects;

/**
 * What one benchmark run measured for one mechanism and message size: round-trip latency,
 * one-way throughput, or both. Every part of the harness (Conduit transports, peers such as
 * Aeron, and the C baselines) reports in this shape, so rows compare one to one.
 *
 * @param transport the row's name: a Conduit transport ({@code unix}), a peer ({@code aeron}),
 *                  or a baseline ({@code c-uds})
 * @param kind      which of those it is
 * @param size      the payload size in bytes
 * @param latency   round-trip latency after warm-up, or null if not measured
 * @param throughput one-way throughput, one message per send, or null if not measured
 * @param batched   one-way throughput with many messages per write, or null if not measured
 */
public record Measurement(String transport, Kind kind, int size, Latency latency, Throughput throughput,
        Throughput batched) {
    /** Who a row measures. */
    public enum Kind {
        /** A Conduit transport. */
        CONDUIT,
        /** Another library a user might pick instead. */
        PEER,
        /** The mechanism's physical limit, measured by a small C program. */
        BASELINE
    }

    /** @throws NullPointerException if transport or kind is null */
    public Measurement {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Round-trip latency percentiles in nanoseconds, after warm-up.
     *
     * @param count how many round trips were recorded
     */
    public record Latency(long p50, long p90, long p99, long p999, long max, long count) {
    }

    /**
     * One-way throughput; every message was checked (sequence number and checksum).
     *
     * @param messages how many messages were counted
     * @param nanos    how long they took
     * @param size     payload bytes per message
     */
    public record Throughput(long messages, long nanos, int size) {
        /** @return messages per second */
        public double messagesPerSecond() {
            return messages * 1e9 / nanos;
        }

        /** @return payload megabytes (10^6 bytes) per second */
        public double megabytesPerSecond() {
            return messagesPerSecond() * size / 1e6;
        }
    }
}
