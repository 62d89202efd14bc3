package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * One wake per sleep: a producer that already woke the consumer's last sleep (count 1) publishes
 * while the consumer wakes from it and starts the next. {@link Ring#wakeDue} with the count
 * the producer last woke against {@link Ring#consumerAwake} then {@link Ring#consumerSleeps}.
 * r1 is 1 if the producer would wake, r2 the tail the consumer would sleep on; a consumer that
 * sleeps on the old tail (0) must be woken, since the producer's wake of the last sleep may
 * have come before it slept again.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
        desc = "Lost wake-up: the producer took the new sleep for the one it had woken.")
@Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The consumer sleeps again; the producer wakes it.")
@Outcome(id = "0, 8", expect = Expect.ACCEPTABLE, desc = "The consumer sees the new tail and stays awake.")
@Outcome(id = "1, 8", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
@State
public class SleepCountStress {
    private final Ring ring = RingStress.ring();

    public SleepCountStress() {
        ring.consumerSleeps();
    }

    @Actor
    public void producer(JJ_Result r) {
        r.r1 = Ring.wakeDue(ring.publishTail(8), 1) ? 1 : 0;
    }

    @Actor
    public void consumer(JJ_Result r) {
        ring.consumerAwake();
        r.r2 = ring.consumerSleeps();
    }
}
