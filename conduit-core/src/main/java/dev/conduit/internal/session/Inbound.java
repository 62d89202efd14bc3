package dev.conduit.internal.session;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.internal.Inbox;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A session's incoming frames, read by whichever thread waits for one: a caller that wants a
 * message, a request, an acknowledgement or a reply takes the raw connection's receive side
 * itself (one reader at a time), sorts what it reads to whoever it is for, and wakes those
 * others only if any wait. So a round trip costs the raw one plus a lock, not a hand-off to a
 * reader thread and back (which made a session echo 2.5-3.5x and a request 5.5x a raw echo).
 *
 * <p>What a reader must not miss while no caller waits, the peer's pings, is read by a keeper:
 * a thread that takes the receive side once it has stood empty for {@link #GRACE_NANOS}
 * and gives it back as soon as a caller waits, so an idle session still answers pings, and an
 * active one pays for the keeper only one look per grace period.
 *
 * <p>Messages and requests queue in {@link Inbox}es bounded by bytes; a frame that does not fit
 * is held, and nobody reads on until a taker made room for it, so a slow application still
 * pushes back on its peer.
 */
final class Inbound {
    /** How long the receive side stands empty before the keeper reads: well under a heartbeat's timeout. */
    static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long INBOX_BYTES = 4L << 20;
    private static final Object PENDING = new Object();
    private static final Object ARRIVED = new Object();

    /** What a caller waits for. */
    enum Want { MESSAGE, REQUEST, ACK, REPLY, FEATURES }

    private final String name;
    private final Connection raw;
    private final Inbox messages;
    private final Inbox requests;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled after a frame was sorted or the reader left, for callers that wait on another reader. */
    private final Condition changed = lock.newCondition();
    // Written under lock; volatile where the keeper looks without it (taking the lock every grace
    // period, it was once preempted holding it, and stalled a caller for milliseconds).
    private final Map<Long, Object> acks = new HashMap<>();
    private final Map<Long, Object> replies = new HashMap<>();
    private volatile boolean reading;
    private volatile int waiting;
    private volatile long reads;
    private volatile byte[] held;
    private volatile IOException end;
    private volatile long heardAt = System.nanoTime();
    /** The listener's sessions, for a RESUME; null on a client's side. */
    private final Resumptions resumptions;
    /** The session a RESUME named, with this connection's generation in it, or null. */
    private volatile Resumptions.Resumed.Joined resumed;
    private final AtomicBoolean left = new AtomicBoolean();
    private final SubjectState subjects;

    Inbound(String name, Connection raw, Resumptions resumptions, SubjectState subjects) {
        this.name = name;
        this.subjects = subjects;
        this.raw = raw;
        this.resumptions = resumptions;
        this.messages = new Inbox(name, INBOX_BYTES);
        this.requests = new Inbox(name, INBOX_BYTES);
    }

    /** @return the session a RESUME named, with this connection's generation, or null */
    Resumptions.Resumed.Joined resumed() {
        return resumed;
    }

    /** @return {@link System#nanoTime()} when a frame last came */
    long heardAt() {
        return heardAt;
    }

    /**
     * Registers an acknowledgement or a reply to wait for, before its frame goes out.
     *
     * @param want {@link Want#ACK} or {@link Want#REPLY}
     */
    void expect(Want want, long number) {
        lock.lock();
        try {
            (want == Want.ACK ? acks : replies).put(number, PENDING);
        } finally {
            lock.unlock();
        }
    }

    /** Stops waiting for an acknowledgement or a reply: one that comes later is dropped. */
    void forget(Want want, long number) {
        lock.lock();
        try {
            (want == Want.ACK ? acks : replies).remove(number);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for what the caller wants, reading the raw connection itself while no one else does.
     *
     * @param want      what
     * @param number    the sequence number or request id for {@link Want#ACK} and {@link Want#REPLY}
     * @param waitNanos -1 for as long as it takes, 0 for no wait, or the most to wait
     * @param call      the API call, for messages
     * @return the frame (a message or request, header included), the reply's frame, an empty
     *         array for an acknowledgement, or {@code null} if nothing came in time
     * @throws IOException the end of the stream or the session's failure, as an {@link Inbox}
     *                     reports them for messages and requests, as a {@link ConnectionClosedException}
     *                     naming it for acknowledgements and replies; an {@link InterruptedIOException}
     *                     if the thread is interrupted
     */
    byte[] await(Want want, long number, long waitNanos, String call) throws IOException {
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        lock.lock();
        try {
            while (true) {
                byte[] got = look(want, number);
                if (got != null) {
                    return got;
                }
                long left = waitNanos <= 0 ? waitNanos : deadline - System.nanoTime();
                if (waitNanos > 0 && left <= 0) {
                    return null;
                }
                if (!reading && held == null && end == null) {
                    if (!readOne(left) && left == 0) {
                        return null;
                    }
                } else if (left == 0) {
                    return null;
                } else {
                    awaitChange(left, call);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private byte[] look(Want want, long number) throws IOException {
        try {
            return switch (want) {
                case MESSAGE -> taken(messages.take(0));
                case REQUEST -> taken(requests.take(0));
                case ACK -> answer(acks, number) == null ? null : new byte[0];
                case REPLY -> (byte[]) answer(replies, number);
                case FEATURES -> features();
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": receive: interrupted");
        }
    }

    /** A taker made room: the held frame, if any, may go in now. */
    private byte[] taken(byte[] frame) throws IOException, InterruptedException {
        if (frame != null && held != null && place(held)) {
            held = null;
            signalWaiters();
        }
        return frame;
    }

    private byte[] features() throws ConnectionClosedException {
        if (subjects.peerSaid()) {
            return new byte[0];
        }
        if (end != null) {
            throw new ConnectionClosedException(name + ": the connection ended: " + end.getMessage(), end);
        }
        return null;
    }

    private Object answer(Map<Long, Object> answers, long number) throws ConnectionClosedException {
        Object answer = answers.get(number);
        if (answer != null && answer != PENDING) {
            answers.remove(number);
            return answer;
        }
        if (end != null) {
            answers.remove(number);
            throw new ConnectionClosedException(name + ": the connection ended: " + end.getMessage(), end);
        }
        return null;
    }

    private void awaitChange(long left, String call) throws InterruptedIOException {
        waiting++;
        try {
            if (left < 0) {
                changed.await();
            } else {
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": " + call + ": interrupted");
        } finally {
            waiting--;
        }
    }

    /**
     * Reads one frame without the lock, as the one reader, and sorts it. Called and returns with
     * the lock held.
     *
     * @param left -1 to wait as long as it takes, 0 for no wait, or the most to wait
     * @return whether a frame came
     * @throws InterruptedIOException if the thread was interrupted: the session goes on
     */
    private boolean readOne(long left) throws IOException {
        reading = true;
        byte[] frame = null;
        IOException failure = null;
        lock.unlock();
        try {
            frame = left == 0 ? raw.tryReceive() : left < 0 ? raw.receive() : raw.receive(Duration.ofNanos(left));
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            failure = e;
        } finally {
            lock.lock();
            reading = false;
            signalWaiters();
        }
        if (failure != null) {
            end(failure);
        } else if (frame != null) {
            heardAt = System.nanoTime();
            reads++;
            boolean taken = sort(frame);
            if (taken) {
                // A copy of a message the application took already: the peer missed its ACK.
                lock.unlock();
                try {
                    sendBack(SessionProtocol.ACK, SessionProtocol.number(frame));
                } finally {
                    lock.lock();
                }
            }
            if (end == null && frame.length >= SessionProtocol.HEADER && frame[0] == SessionProtocol.PING) {
                // Outside the lock, since it may wait for the peer; and not trySend, which gave up
                // whenever this side's own heartbeat held the send lock, and both sides' pings
                // came at the same moments (SessionContract's heartbeat test, over tcp).
                lock.unlock();
                try {
                    sendBack(SessionProtocol.PONG, Subjects.pong(SessionProtocol.number(frame)));
                } finally {
                    lock.lock();
                }
            }
        }
        return frame != null;
    }

    private void signalWaiters() {
        if (waiting > 0) {
            changed.signalAll();
        }
    }

    /** @return whether {@code frame} is a copy of a message the application took already (dropped) */
    private boolean sort(byte[] frame) throws IOException {
        byte type = frame.length == 0 ? -1 : frame[0];
        if (type == SessionProtocol.SUBSCRIBE) {
            subscribed(frame);
            return false;
        }
        boolean numbered = type >= SessionProtocol.DATA && type <= SessionProtocol.PUBLISH;
        String malformed = numbered && frame.length >= SessionProtocol.HEADER && type == SessionProtocol.PUBLISH
                ? Subjects.checkPublish(frame) : null;
        if (malformed != null) {
            protocolError(malformed);
            return false;
        }
        if (!numbered || frame.length < SessionProtocol.HEADER) {
            protocolError(frame.length == 0 ? "an empty frame" : type == SessionProtocol.HELLO
                    ? "a second hello" : numbered ? "a frame of type " + type + " with " + frame.length + " bytes"
                    : "frame type " + type);
            return false;
        }
        long number = SessionProtocol.number(frame);
        Resumptions.Resumed.Joined session = resumed;
        if ((type == SessionProtocol.DATA || type == SessionProtocol.PUBLISH) && number != 0 && session != null
                && session.session().arrive(number, session.generation()) == Resumptions.Resumed.Arrival.TAKEN_BEFORE) {
            return true;
        }
        switch (type) {
            case SessionProtocol.RESUME -> resume(number);
            case SessionProtocol.DATA, SessionProtocol.PUBLISH, SessionProtocol.REQUEST -> {
                try {
                    if (!place(frame)) {
                        held = frame;
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException("a put that does not block was interrupted", e);
                }
            }
            case SessionProtocol.ACK -> arrived(acks, number, ARRIVED);
            case SessionProtocol.REPLY -> arrived(replies, number,
                    Arrays.copyOfRange(frame, SessionProtocol.HEADER, frame.length));
            case SessionProtocol.PONG -> {
                if (subjects.answered(number)) {
                    signalWaiters();
                }
            }
            default -> {
                // PING is answered once the lock is let go; other PONGs: hearing from the peer was the point.
            }
        }
        return false;
    }

    /** The peer's new prefix set: from now on a publish on this side sends only what it matches. */
    private void subscribed(byte[] frame) {
        try {
            subjects.peerSubscribed(frame);
            signalWaiters();
        } catch (IllegalArgumentException e) {
            protocolError(e.getMessage());
        }
    }

    private void resume(long id) {
        if (resumptions == null || resumed != null) {
            protocolError(resumptions == null ? "a RESUME, which only a client sends" : "a second RESUME");
            return;
        }
        resumed = resumptions.join(id);
    }

    /** @return whether the message or request went into its inbox (false: full) */
    private boolean place(byte[] frame) throws IOException, InterruptedException {
        try {
            return (frame[0] == SessionProtocol.REQUEST ? requests : messages).put(frame, false);
        } catch (ConnectionClosedException e) {
            return true; // Closed locally: no one takes it any more.
        }
    }

    private static void arrived(Map<Long, Object> answers, long number, Object answer) {
        if (answers.get(number) == PENDING) {
            answers.put(number, answer);
        }
    }

    /** Sends a PONG or an ACK: never with the lock held, since it may wait for the peer. */
    private void sendBack(byte type, long number) {
        try {
            raw.send(SessionProtocol.frame(type, number, 0));
        } catch (IOException e) {
            // A peer that pinged and went away wants no pong, and what it sent before going is
            // still to be read: ending the reading here lost it (found by SessionProtocolFuzzTest).
        }
    }

    private void protocolError(String what) {
        end(new ConnectionClosedException(name + ": session protocol error: the peer sent " + what));
        try {
            raw.close();
        } catch (IOException e) {
            // Ended all the same.
        }
    }

    /**
     * Ends the session with {@code failure}: takers get it once their inbox is drained, waiters for
     * acknowledgements and replies at once. The first call wins. Any thread.
     */
    void end(IOException failure) {
        lock.lock();
        try {
            if (end == null) {
                end = failure;
                leave();
                messages.closeProducer(failure);
                requests.closeProducer(failure);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The application closed: queued messages and requests are dropped, takers fail. */
    void closeConsumer() {
        leave();
        messages.closeConsumer();
        requests.closeConsumer();
    }

    /** Tells a resumed session this connection is done with, once. */
    private void leave() {
        Resumptions.Resumed.Joined session = resumed;
        if (session != null && left.compareAndSet(false, true)) {
            session.session().leave(System.nanoTime());
        }
    }

    /**
     * The keeper's loop, on a thread of its own until the session ends: reads while the receive
     * side has stood empty for a grace period and no caller waits. It looks without the lock.
     */
    void keep() {
        long seen = -1;
        while (end == null) {
            LockSupport.parkNanos(GRACE_NANOS);
            long now = reads;
            if (reading || waiting > 0 || held != null || now != seen) {
                seen = now;
                continue;
            }
            lock.lock();
            try {
                boolean mine = true;
                while (mine && end == null && !reading && waiting == 0 && held == null) {
                    mine = readOne(-1);
                }
                seen = reads;
            } catch (IOException e) {
                end(e);
            } finally {
                lock.unlock();
            }
        }
    }
}
