package dev.conduit.internal.log;

import dev.conduit.LogDamage;
import dev.conduit.LogDamagedException;

import java.util.ArrayList;
import java.util.List;

/**
 * What a receiver does at damage: with {@code onDamage=stop}, makes the exception to throw; with
 * {@code skip}, counts the place and the bytes passed over, and keeps the latest reports. Written
 * by the receiving thread, read by any.
 */
final class Damages {
    private final String context;
    private final boolean skip;
    private volatile LogDamage sofar = new LogDamage(0, 0, List.of());

    /**
     * @param context names the endpoint and the call, for the reports
     * @param skip    whether the receiver goes on past damage
     */
    Damages(String context, boolean skip) {
        this.context = context;
        this.skip = skip;
    }

    /**
     * Meets damage in {@code s} from {@code at} to {@code resume} (data offsets).
     *
     * @return the exception to close with and throw if the receiver stops; null once counted
     */
    LogDamagedException meet(Segment s, long at, String problem, long resume) {
        LogDamagedException e = new LogDamagedException(context, s.file, s.base + at, problem + (skip
                ? "; skipped " + (resume - at) + " bytes to position " + (s.base + resume)
                : "; open with ?onDamage=skip to go on past it"));
        if (!skip) {
            return e;
        }
        LogDamage was = sofar;
        List<LogDamagedException> reports = new ArrayList<>(was.reports());
        if (reports.size() == LogDamage.KEPT) {
            reports.removeFirst();
        }
        reports.add(e);
        sofar = new LogDamage(was.places() + 1, was.bytes() + (resume - at), reports);
        return null;
    }

    /**
     * At an END record: a writer closes a segment only at the end of what was claimed, and claims
     * nothing after it, so an END below the tail hint, or whose state is not END, was planted.
     *
     * @return what is wrong with the END record at {@code at}, or null if it is a writer's
     */
    static String misplacedEnd(Segment s, long at) {
        int state = s.stateAcquire(at);
        long hint = s.tailHint();
        if (hint > at) {
            return "an END marker before records claimed up to position " + (s.base + hint);
        }
        if (state != Segment.END && !Segment.uncommitted(state)) {
            return "an END marker with state word 0x" + Integer.toHexString(state) + " (expected " + Segment.END + ")";
        }
        return null;
    }

    /** @return the damage counted so far */
    LogDamage sofar() {
        return sofar;
    }
}
