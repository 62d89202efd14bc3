package dev.conduit.internal;

import dev.conduit.ConnectionCounters;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One connection's live counters. The send side's counters are written only by a thread that
 * holds the transport's send lock ({@link #sent}) or, for a transport that does not count under
 * its lock, with one atomic add ({@link #sentShared}); the receive side's only by the thread that
 * holds the receive lock. So the hot path pays a plain store, never a lock prefix. Stores are
 * opaque (a plain {@code mov} on x86 and ARM, but never torn), and readers load with acquire:
 * a reader sees a recent value of each counter, not a consistent snapshot.
 *
 * <p>The receive side's fields sit on other cache lines than the send side's (padding classes,
 * whose fields HotSpot lays out before a subclass's), so a sending and a receiving thread do not
 * contend for one line.
 */
public final class Counters extends CountersReceiveSide {
    private static final VarHandle MESSAGES_OUT = field("messagesOut");
    private static final VarHandle BYTES_OUT = field("bytesOut");
    private static final VarHandle BLOCKED = field("sendBlockedNanos");
    private static final VarHandle REFUSED = field("framesRefused");
    private static final VarHandle RECONNECTS = field("reconnects");
    private static final VarHandle MESSAGES_IN = field("messagesIn");
    private static final VarHandle BYTES_IN = field("bytesIn");

    /** Counts a message sent; only by a thread holding the send lock. */
    public void sent(long bytes) {
        MESSAGES_OUT.setOpaque(this, messagesOut + 1);
        BYTES_OUT.setOpaque(this, bytesOut + bytes);
    }

    /** Counts a message sent by any thread, without a lock held. */
    void sentShared(long bytes) {
        MESSAGES_OUT.getAndAdd(this, 1L);
        BYTES_OUT.getAndAdd(this, bytes);
    }

    /** Counts a time senders waited for room; only by a thread holding the send lock. */
    public void blocked(long nanos) {
        BLOCKED.setOpaque(this, sendBlockedNanos + nanos);
    }

    /** Counts a message taken by the application; only by the thread holding the receive lock. */
    void received(long bytes) {
        MESSAGES_IN.setOpaque(this, messagesIn + 1);
        BYTES_IN.setOpaque(this, bytesIn + bytes);
    }

    /** Counts a frame refused as too long, by any thread (rare). */
    void refused() {
        REFUSED.getAndAdd(this, 1L);
    }

    /** Counts a reconnection, by any thread (rare). */
    public void reconnected() {
        RECONNECTS.getAndAdd(this, 1L);
    }

    /** @return a recent value of each counter */
    public ConnectionCounters read() {
        return new ConnectionCounters((long) MESSAGES_OUT.getAcquire(this), (long) BYTES_OUT.getAcquire(this),
                (long) MESSAGES_IN.getAcquire(this), (long) BYTES_IN.getAcquire(this),
                (long) BLOCKED.getAcquire(this), (long) REFUSED.getAcquire(this), (long) RECONNECTS.getAcquire(this));
    }

    private static VarHandle field(String name) {
        try {
            Class<?> owner = name.endsWith("In") ? CountersReceiveSide.class : CountersSendSide.class;
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVarHandle(owner, name, long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}

/** Padding before the send side's counters: keeps them off the line of whatever precedes the object. */
abstract class CountersLeadingPad {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The send side's counters; see {@link Counters}. */
abstract class CountersSendSide extends CountersLeadingPad {
    long messagesOut;
    long bytesOut;
    long sendBlockedNanos;
    long framesRefused;
    long reconnects;
}

/** Two cache lines between the sides (the adjacent-line prefetcher pairs lines). */
abstract class CountersMiddlePad extends CountersSendSide {
    long p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31;
}

/** The receive side's counters, and the padding after them. */
abstract class CountersReceiveSide extends CountersMiddlePad {
    long messagesIn;
    long bytesIn;
    long p32, p33, p34, p35, p36, p37, p38, p39, p40, p41, p42, p43, p44, p45, p46, p47;
}
