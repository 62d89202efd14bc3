package dev.conduit.internal.session;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A listener's sessions that may come back on a new connection: a client with
 * {@code ?reconnect=true&ack=true} names its session in a RESUME frame on each connection it
 * makes, and its acknowledged messages keep their sequence numbers across connections, so a
 * message sent again after a loss is told from a new one. One per session listener; any thread.
 *
 * <p>A session no connection has used for {@link #KEEP_NANOS} is forgotten, and at most
 * {@link #MOST} are kept (the longest idle go first): a client that comes back after that is a
 * new session, whose resent message may then arrive twice.
 */
public final class Resumptions {
    static final long KEEP_NANOS = TimeUnit.MINUTES.toNanos(5);
    static final int MOST = 10_000;

    private final Map<Long, Resumed> sessions = new HashMap<>();

    /**
     * @return the session with {@code id}, made if new, with one more connection, whose
     *         generation ({@link Resumed#generation}) is the newest
     */
    synchronized Resumed.Joined join(long id) {
        long now = System.nanoTime();
        forgetIdle(now);
        Resumed session = sessions.computeIfAbsent(id, k -> new Resumed());
        return new Resumed.Joined(session, session.join(now));
    }

    private void forgetIdle(long now) {
        Iterator<Resumed> it = sessions.values().iterator();
        while (it.hasNext()) {
            if (it.next().idleSince(now) > KEEP_NANOS) {
                it.remove();
            }
        }
        while (sessions.size() >= MOST) {
            Map.Entry<Long, Resumed> idlest = null;
            for (Map.Entry<Long, Resumed> e : sessions.entrySet()) {
                if (idlest == null || e.getValue().idleSince(now) > idlest.getValue().idleSince(now)) {
                    idlest = e;
                }
            }
            sessions.remove(idlest.getKey());
        }
    }

    /** @return how many sessions are remembered (for tests) */
    synchronized int size() {
        return sessions.size();
    }

    /**
     * One session's acknowledged messages: which were taken by the application, and which of the
     * session's connections holds the copy that is to be delivered of each one not yet taken: the
     * newest connection that has one, since an older one may never be read again. An older copy
     * is skipped when its connection's application comes to it.
     */
    static final class Resumed {
        private static final Object TAKEN = new Object();
        /** Numbers above the mark kept at most, before the oldest missing ones count as taken. */
        private static final int MOST_ABOVE = 4096;

        /** A connection's place in its session: later connections have higher generations. */
        record Joined(Resumed session, int generation) {
        }

        /** What became of a message that arrived. */
        enum Arrival { DELIVER, TAKEN_BEFORE }

        /** Every sequence number up to this one was taken. */
        private long taken;
        /** Numbers above {@link #taken}: the generation holding the copy to deliver, or {@link #TAKEN}. */
        private final Map<Long, Object> above = new HashMap<>();
        private int generations;
        private int connections;
        private long leftAt;

        synchronized int join(long now) {
            connections++;
            leftAt = now;
            return ++generations;
        }

        synchronized void leave(long now) {
            connections--;
            leftAt = now;
        }

        synchronized long idleSince(long now) {
            return connections > 0 ? 0 : now - leftAt;
        }

        /**
         * @return {@link Arrival#TAKEN_BEFORE} if the application already took message {@code seq}
         *         (drop this copy and acknowledge it again), else {@link Arrival#DELIVER}: keep
         *         it; it is the one to deliver if no newer connection has a copy
         */
        synchronized Arrival arrive(long seq, int generation) {
            Object holder = above.get(seq);
            if (seq <= taken || holder == TAKEN) {
                return Arrival.TAKEN_BEFORE;
            }
            if (holder == null || (Integer) holder < generation) {
                above.put(seq, generation);
            }
            if (above.size() > MOST_ABOVE) {
                // A number that never came (its send gave up before sending) would hold the mark
                // back for ever: one that many numbers older is past any resend.
                taken = Math.max(taken, above.keySet().stream().mapToLong(Long::longValue).min().orElseThrow() - 1);
                advance();
            }
            return Arrival.DELIVER;
        }

        /**
         * @return whether the copy of message {@code seq} in the connection of {@code generation}
         *         is the one to give the application now; if so, it counts as taken from here on
         */
        synchronized boolean take(long seq, int generation) {
            Object holder = above.get(seq);
            if (seq <= taken || !(holder instanceof Integer g) || g != generation) {
                return false;
            }
            above.put(seq, TAKEN);
            advance();
            return true;
        }

        private void advance() {
            while (above.get(taken + 1) == TAKEN) {
                above.remove(++taken);
            }
        }
    }
}
