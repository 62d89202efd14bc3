package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * A producer publishing while the consumer decides to sleep: {@link Ring#publishTail} against
 * {@link Ring#consumerSleeps}. r1 is 1 if the producer saw the sleeper (and would wake it), r2 the
 * tail the consumer saw after announcing itself; with the old tail (0) it goes to sleep.
 *
 * <p>Twice: with the publisher's fence ({@code Fenced}), and with the membarrier handshake
 * ({@code Membarrier}), where the publisher has none and the sleeper runs
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)} instead.
 */
public final class ConsumerWakeupStress {
    private ConsumerWakeupStress() {
    }

    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps on the old tail and the producer saw no sleeper to wake.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The consumer sleeps; the producer wakes it.")
    @Outcome(id = "0, 8", expect = Expect.ACCEPTABLE, desc = "The consumer sees the new tail and stays awake.")
    @Outcome(id = "1, 8", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Fenced {
        private final Ring ring = RingStress.ring(false);

        @Actor
        public void producer(JJ_Result r) {
            r.r1 = ring.publishTail(8) ? 1 : 0;
        }

        @Actor
        public void consumer(JJ_Result r) {
            r.r2 = ring.consumerSleeps();
        }
    }

    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the consumer sleeps on the old tail and the producer saw no sleeper to wake.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The consumer sleeps; the producer wakes it.")
    @Outcome(id = "0, 8", expect = Expect.ACCEPTABLE, desc = "The consumer sees the new tail and stays awake.")
    @Outcome(id = "1, 8", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Membarrier {
        private final Ring ring = RingStress.ring(true);

        @Actor
        public void producer(JJ_Result r) {
            r.r1 = ring.publishTail(8) ? 1 : 0;
        }

        @Actor
        public void consumer(JJ_Result r) {
            r.r2 = ring.consumerSleeps();
        }
    }
}
