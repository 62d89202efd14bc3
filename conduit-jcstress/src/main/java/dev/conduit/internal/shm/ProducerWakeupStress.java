package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The other direction: a consumer giving bytes back while the producer, on a full ring, decides
 * to sleep: {@link Ring#publishHead} against {@link Ring#producerSleeps}. r1 is 1 if the
 * consumer saw the sleeper, r2 the head the producer saw after announcing itself.
 *
 * <p>Twice: with the publisher's fence ({@code Fenced}), and with the membarrier handshake
 * ({@code Membarrier}), where the publisher has none and the sleeper runs
 * {@code membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)} instead.
 */
public final class ProducerWakeupStress {
    private ProducerWakeupStress() {
    }

    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the producer sleeps on the old head and the consumer saw no sleeper to wake.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The producer sleeps; the consumer wakes it.")
    @Outcome(id = "0, 8", expect = Expect.ACCEPTABLE, desc = "The producer sees the room and stays awake.")
    @Outcome(id = "1, 8", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Fenced {
        private final Ring ring = RingStress.ring(false);

        @Actor
        public void consumer(JJ_Result r) {
            r.r1 = ring.publishHead(8) ? 1 : 0;
        }

        @Actor
        public void producer(JJ_Result r) {
            r.r2 = ring.producerSleeps();
        }
    }

    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the producer sleeps on the old head and the consumer saw no sleeper to wake.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The producer sleeps; the consumer wakes it.")
    @Outcome(id = "0, 8", expect = Expect.ACCEPTABLE, desc = "The producer sees the room and stays awake.")
    @Outcome(id = "1, 8", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Membarrier {
        private final Ring ring = RingStress.ring(true);

        @Actor
        public void consumer(JJ_Result r) {
            r.r1 = ring.publishHead(8) ? 1 : 0;
        }

        @Actor
        public void producer(JJ_Result r) {
            r.r2 = ring.producerSleeps();
        }
    }
}
