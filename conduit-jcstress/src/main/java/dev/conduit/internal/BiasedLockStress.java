package dev.conduit.internal;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * Two threads each add 1 twice to a plain counter under one fresh {@link BiasedLock}: whichever
 * takes it first owns it, and the other revokes the bias while the owner may be inside. Any
 * total but 4 means two threads were inside at once, or a later holder missed an earlier one's
 * write.
 */
@JCStressTest
@Outcome(id = "4", expect = Expect.ACCEPTABLE, desc = "Every increment seen by the next holder.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Two holders at once, or a holder saw a stale counter.")
@State
public class BiasedLockStress {
    private final BiasedLock lock = new BiasedLock();
    private int counter;

    @Actor
    public void first() {
        add();
        add();
    }

    @Actor
    public void second() {
        add();
        add();
    }

    @Arbiter
    public void total(I_Result r) {
        lock.lock();
        try {
            r.r1 = counter;
        } finally {
            lock.unlock();
        }
    }

    private void add() {
        lock.lock();
        try {
            int seen = counter;
            counter = seen + 1;
        } finally {
            lock.unlock();
        }
    }
}
