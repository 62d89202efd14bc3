package dev.conduit.internal.shm;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import java.lang.foreign.ValueLayout;

/**
 * A record written with plain stores and committed with {@link Ring#commit}, read by a
 * consumer that polls its header with {@link Ring#headerAcquire}: once the header shows the
 * record, all of it must be there, and so must the zero the producer wrote where the next
 * header goes (a stale word there would be read as a record). That word holds garbage from an
 * earlier lap before. r1 is that next header word, r2 the header (length * 10 + kind), r3 the
 * payload; a consumer that sees no record reports zeros.
 */
@JCStressTest
@Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "Not committed yet.")
@Outcome(id = "0, 81, 1234605616436508552", expect = Expect.ACCEPTABLE, desc = "The whole record, and a zero after it.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Torn: the header shows a record that is not all there, or a stale next header.")
@State
public class RecordVisibilityStress {
    private final Ring ring = RingStress.ring();

    public RecordVisibilityStress() {
        ring.data.set(ValueLayout.JAVA_LONG, 16, -1L);
    }

    @Actor
    public void producer() {
        ring.data.set(ValueLayout.JAVA_LONG, Ring.RECORD_HEADER, RingStress.PAYLOAD);
        ring.commit(0, Ring.header(8, Ring.MESSAGE), 16);
    }

    @Actor
    public void consumer(JJJ_Result r) {
        long header = ring.headerAcquire(0);
        if (header != 0) {
            r.r1 = ring.data.get(ValueLayout.JAVA_LONG, 16);
            r.r2 = (int) header * 10L + (int) (header >>> 32);
            r.r3 = ring.data.get(ValueLayout.JAVA_LONG, Ring.RECORD_HEADER);
        }
    }
}
