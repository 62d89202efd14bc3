package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * A producer committing a record and publishing while the consumer decides to sleep: the
 * producer's {@link Ring#commit} and {@link Ring#publishTail} against the consumer's
 * {@link Ring#consumerSleeps}, then its look at the header at its head. r1 is 1 if the producer
 * saw the sleeper (and would wake it), r2 1 if the consumer saw the record (and stays awake),
 * r3 the tail the consumer would sleep on. The consumer sleeps only when r2 is 0, and a wake
 * reaches it only if it sleeps on the old tail (0): on the new one, a wake that came before
 * its futex wait would be lost.
 *
 * <p>Twice: with the publisher's fence ({@code Fenced}), and with the membarrier handshake
 * ({@code Membarrier}), where the publisher has none and the sleeper runs
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)} instead.
 */
public final class ConsumerWakeupStress {
    private ConsumerWakeupStress() {
    }

    static void produce(Ring ring, JJJ_Result r) {
        ring.commit(0, Ring.header(8, Ring.MESSAGE), 16);
        r.r1 = ring.publishTail(16) ? 1 : 0;
    }

    static void consume(Ring ring, JJJ_Result r) {
        r.r3 = ring.consumerSleeps();
        r.r2 = ring.headerAcquire(0) != 0 ? 1 : 0;
    }

    @JCStressTest
    @Outcome(id = {"0, 0, 0", "0, 0, 16"}, expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps and the producer saw no sleeper to wake.")
    @Outcome(id = "1, 0, 16", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps on the new tail, so a wake before its wait is lost.")
    @Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE, desc = "The consumer sleeps; the producer wakes it.")
    @Outcome(id = {"0, 1, 0", "0, 1, 16"}, expect = Expect.ACCEPTABLE, desc = "The consumer sees the record and stays awake.")
    @Outcome(id = {"1, 1, 0", "1, 1, 16"}, expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Fenced {
        private final Ring ring = RingStress.ring(false);

        @Actor
        public void producer(JJJ_Result r) {
            produce(ring, r);
        }

        @Actor
        public void consumer(JJJ_Result r) {
            consume(ring, r);
        }
    }

    @JCStressTest
    @Outcome(id = {"0, 0, 0", "0, 0, 16"}, expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps and the producer saw no sleeper to wake.")
    @Outcome(id = "1, 0, 16", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps on the new tail, so a wake before its wait is lost.")
    @Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE, desc = "The consumer sleeps; the producer wakes it.")
    @Outcome(id = {"0, 1, 0", "0, 1, 16"}, expect = Expect.ACCEPTABLE, desc = "The consumer sees the record and stays awake.")
    @Outcome(id = {"1, 1, 0", "1, 1, 16"}, expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Membarrier {
        private final Ring ring = RingStress.ring(true);

        @Actor
        public void producer(JJJ_Result r) {
            produce(ring, r);
        }

        @Actor
        public void consumer(JJJ_Result r) {
            consume(ring, r);
        }
    }
}
