package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import java.lang.foreign.ValueLayout;

/**
 * A record written with plain stores and published with {@link Ring#publishTail}, read by a
 * consumer that first reads the tail with {@link Ring#tailAcquire}: once the tail shows the
 * record, all of it must be there. r1 is the tail seen, r2 the header (length * 10 + kind),
 * r3 the payload; a consumer that sees no record reports zeros.
 */
@JCStressTest
@Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "Not published yet.")
@Outcome(id = "16, 81, 1234605616436508552", expect = Expect.ACCEPTABLE, desc = "The whole record.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Torn: the tail shows a record that is not all there.")
@State
public class RecordVisibilityStress {
    private final Ring ring = RingStress.ring();

    @Actor
    public void producer() {
        ring.data.set(ValueLayout.JAVA_INT, 0, 8);
        ring.data.set(ValueLayout.JAVA_INT, 4, Ring.MESSAGE);
        ring.data.set(ValueLayout.JAVA_LONG, Ring.RECORD_HEADER, RingStress.PAYLOAD);
        ring.publishTail(16);
    }

    @Actor
    public void consumer(JJJ_Result r) {
        long tail = ring.tailAcquire();
        if (tail != 0) {
            r.r1 = tail;
            r.r2 = ring.data.get(ValueLayout.JAVA_INT, 0) * 10L + ring.data.get(ValueLayout.JAVA_INT, 4);
            r.r3 = ring.data.get(ValueLayout.JAVA_LONG, Ring.RECORD_HEADER);
        }
    }
}
