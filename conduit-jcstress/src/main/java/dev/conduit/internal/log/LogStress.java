package dev.conduit.internal.log;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

/**
 * The log's protocol under the Java memory model, on a {@link Segment} over memory of this
 * process: claims never overlap, a committed record is whole, and no wake-up is lost.
 */
public final class LogStress {
    /** A payload a torn read could not produce by accident. */
    static final long PAYLOAD = 0x1122_3344_5566_7788L;

    private LogStress() {
    }

    /** @return an empty segment with a 4 KiB data area */
    static Segment segment() {
        return Segment.inMemory(Arena.ofAuto().allocate(Segment.HEADER_BYTES + 4096, 4096));
    }

    /**
     * Two writers claim the first record at once: exactly one wins it, and the loser steps to
     * the record after it. r1 and r2 are the offsets each writer ended up with.
     */
    @JCStressTest
    @Outcome(id = {"0, 24", "24, 0"}, expect = Expect.ACCEPTABLE, desc = "One claim each, one after the other.")
    @Outcome(expect = Expect.FORBIDDEN, desc = "Both claimed one record, or one was lost.")
    @State
    public static class Claims {
        private final Segment segment = segment();

        private long claim(int length, int pid) {
            long at = 0;
            while (!segment.claim(at, Segment.claimWord(length, pid))) {
                at += Segment.recordBytes(Integer.toUnsignedLong((int) segment.claimAcquire(at)));
            }
            return at;
        }

        @Actor
        public void first(II_Result r) {
            r.r1 = (int) claim(8, 1);
        }

        @Actor
        public void second(II_Result r) {
            r.r2 = (int) claim(8, 2);
        }
    }

    /**
     * A record claimed, filled with plain stores and committed with
     * {@link Segment#publishState}, read as a receiver does: claim word, then state, then
     * payload. r1 is the state seen, r2 the payload; a committed state with anything but the
     * whole payload is a torn read.
     */
    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "Not committed yet (claimed or not).")
    @Outcome(id = "0, 1234605616436508552", expect = Expect.ACCEPTABLE_INTERESTING,
            desc = "Not committed yet, payload already there (a reader does not look at it).")
    @Outcome(id = "1, 1234605616436508552", expect = Expect.ACCEPTABLE, desc = "The whole record.")
    @Outcome(expect = Expect.FORBIDDEN, desc = "Torn: committed, but the payload is not all there.")
    @State
    public static class Commit {
        private final Segment segment = segment();

        @Actor
        public void writer() {
            segment.claim(0, Segment.claimWord(8, 1));
            segment.data.set(ValueLayout.JAVA_LONG, Segment.TIMED_RECORD_HEADER, PAYLOAD);
            segment.publishState(0, Segment.COMMITTED);
        }

        @Actor
        public void reader(JJ_Result r) {
            if (segment.claimAcquire(0) != 0) {
                r.r1 = segment.stateAcquire(0);
                r.r2 = segment.data.get(ValueLayout.JAVA_LONG, Segment.TIMED_RECORD_HEADER);
            }
        }
    }

    /**
     * A writer committing while a reader decides to sleep: {@link Segment#publishState} against
     * {@link Segment#readerSleeps}. r1 is 1 if the writer saw the sleeper (and woke it), r2 the
     * state the reader saw after announcing itself; with 0 it goes to sleep.
     */
    @JCStressTest
    @Outcome(id = "0, 0", expect = Expect.FORBIDDEN,
            desc = "Lost wake-up: the reader sleeps on an uncommitted record and the writer saw no sleeper.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "The reader sleeps; the writer wakes it.")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "The reader sees the commit and stays awake.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "Each saw the other: one spare wake-up.")
    @State
    public static class Wakeup {
        private final Segment segment = segment();

        @Actor
        public void writer(JJ_Result r) {
            r.r1 = segment.publishState(0, Segment.COMMITTED) ? 1 : 0;
        }

        @Actor
        public void reader(JJ_Result r) {
            r.r2 = segment.readerSleeps(0);
        }

        @Arbiter
        public void done() {
            segment.readerAwake();
        }
    }
}
