package dev.conduit.pattern;

import dev.conduit.ConnectionClosedException;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Work sharing: each message goes to exactly one member, round-robin among those whose outbox
 * has room. Members are any {@link MessageSender}s, each with a bounded outbox and a virtual
 * thread of its own; they join and leave at any time.
 *
 * <pre>{@code
 * Distributor jobs = Distributor.create(new MemberEvents() { });
 * try (Listener listener = Conduit.listen("unix:/tmp/jobs.sock?protocol=conduit&ack=true")) {
 *     for (int i = 0; i < 3; i++) {
 *         jobs.join(listener.accept(), 16);       // a worker process connected
 *     }
 *     for (byte[] job : work) {
 *         jobs.send(job);                         // to one worker
 *     }
 *     jobs.awaitSent(Duration.ofMinutes(1));      // every job acknowledged by some worker
 * }
 * }</pre>
 *
 * <p><b>Nothing lost when a member dies.</b> When sending to a member fails (its peer closed or
 * died, or an acknowledgement timed out), the member is removed and reported, and the message
 * it was sending and everything in its outbox go to the other members at once, past their
 * outboxes' bounds (or wait for one to join). A message counts as sent once the member's {@code send} returned: to lose none when a
 * member process dies, use {@code ?protocol=conduit&ack=true} connections, whose {@code send}
 * returns only once the peer's application has received the message. Without acknowledgements,
 * what a dead member's transport had taken but its peer had not received is lost. Delivery is
 * at least once: a message whose acknowledgement was lost (the member died after receiving it,
 * or acknowledged after the time-out) is sent to another member too, so it may arrive twice.
 *
 * <p><b>Copies.</b> {@code send} copies the message once; the member's sender copies it again
 * as its transport does. <b>Threads.</b> Every method may be called from any thread.
 */
public final class Distributor implements AutoCloseable {
    private final MemberEvents events;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when an outbox gains room, a member joins or the distributor closes. */
    private final Condition room = lock.newCondition();
    /** Signalled when nothing is outstanding any more. */
    private final Condition settled = lock.newCondition();
    /** Guarded by {@code lock}, as are the fields below it. */
    private final List<Outlet<byte[]>> members = new ArrayList<>();
    /** A failed member's messages while no member was left to take them. */
    private final ArrayDeque<byte[]> orphans = new ArrayDeque<>();
    private int next;
    private long outstanding;
    private long sent;
    private long failed;
    private long redelivered;
    private boolean closed;
    private final Outlet.Owner<byte[]> owner = new Outlet.Owner<>() {
        @Override
        public void sent(Outlet<byte[]> outlet, byte[] message) {
            lock.lock();
            try {
                sent++;
                if (--outstanding == 0) {
                    settled.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void leaving(Outlet<byte[]> outlet) {
            remove(outlet);
        }

        @Override
        public void failed(Outlet<byte[]> outlet, Throwable failure, byte[] inFlight, List<byte[]> queued) {
            remove(outlet);
            lock.lock();
            try {
                failed++;
            } finally {
                lock.unlock();
            }
            events.failed(outlet, failure);
            List<byte[]> again = new ArrayList<>(queued.size() + 1);
            again.add(inFlight);
            again.addAll(queued);
            redeliver(again);
        }
    };

    private Distributor(MemberEvents events) {
        this.events = events;
    }

    /**
     * Makes a distributor with no members. Never blocks.
     *
     * @param events told of members that failed (the other events do not happen here)
     * @return the distributor
     */
    public static Distributor create(MemberEvents events) {
        return new Distributor(Objects.requireNonNull(events, "events"));
    }

    /**
     * Adds a member, which takes its share of the messages from now on (and of those waiting
     * for a member). Never blocks.
     *
     * @param sender         where the member's messages go; owned by the distributor from now on
     * @param outboxCapacity how many messages may wait for this member
     * @return the member
     * @throws IllegalArgumentException if {@code outboxCapacity < 1}
     * @throws IllegalStateException    if the distributor is closed
     */
    public Member join(MessageSender sender, int outboxCapacity) {
        Objects.requireNonNull(sender, "sender");
        if (outboxCapacity < 1) {
            throw new IllegalArgumentException("distributor: join: outboxCapacity " + outboxCapacity
                    + " (expected: >= 1)");
        }
        Outlet<byte[]> outlet = new Outlet<>(owner, Outlet::send, sender,
                new Outbox<>(outboxCapacity, lock, room), SlowConsumerPolicy.BLOCK);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("distributor: join " + outlet.name() + ": closed");
            }
            members.add(outlet);
            while (!orphans.isEmpty() && outlet.outbox.force(orphans.peekFirst())) {
                orphans.removeFirst(); // a failed member's messages, waiting for a member
            }
            room.signalAll();
        } finally {
            lock.unlock();
        }
        outlet.start();
        return outlet;
    }

    /**
     * Gives a copy of {@code message} to one member: the next in turn whose outbox has room.
     * Blocks while every member's outbox is full, or while there is no member.
     *
     * @param message the message; copied, not retained
     * @throws ConnectionClosedException if the distributor is or becomes closed first
     * @throws InterruptedIOException    if the thread is interrupted while waiting; the message
     *                                   was not taken
     */
    public void send(byte[] message) throws IOException {
        enqueue(message.clone());
    }

    /**
     * As {@link #send(byte[])} for all of the segment's bytes.
     *
     * @param message the message; copied, not retained
     * @throws IOException as {@link #send(byte[])}
     */
    public void send(MemorySegment message) throws IOException {
        enqueue(message.toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * As {@link #send(byte[])} for the string encoded as UTF-8.
     *
     * @param message the message
     * @throws IOException as {@link #send(byte[])}
     */
    public void send(CharSequence message) throws IOException {
        enqueue(message.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void enqueue(byte[] copy) throws IOException {
        lock.lock();
        try {
            dispatch(copy);
            outstanding++;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("distributor: send: interrupted while every member was full");
        } finally {
            lock.unlock();
        }
    }

    /** Puts {@code message} in the next outbox in turn with room, waiting for one; the lock is held. */
    private void dispatch(byte[] message) throws InterruptedException, ConnectionClosedException {
        while (true) {
            if (closed) {
                throw new ConnectionClosedException("distributor: send: closed");
            }
            int n = members.size();
            for (int i = 0; i < n; i++) {
                Outlet<byte[]> member = members.get((next + i) % n);
                if (member.outbox.offer(message)) {
                    next = (next + i + 1) % n;
                    return;
                }
            }
            room.await();
        }
    }

    /**
     * Gives a failed member's messages to the others past their outboxes' bounds, or keeps them
     * for the next member to join. It never waits: it runs on the failed member's thread, whose
     * interrupt status a failed send may have set, and a wait there could drop them.
     */
    private void redeliver(List<byte[]> messages) {
        lock.lock();
        try {
            for (byte[] message : messages) {
                if (closed) {
                    return; // discarded with everything outstanding
                }
                redelivered++;
                if (!force(message)) {
                    orphans.addLast(message);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Puts {@code message} in the next open outbox in turn, full or not; the lock is held. */
    private boolean force(byte[] message) {
        int n = members.size();
        for (int i = 0; i < n; i++) {
            Outlet<byte[]> member = members.get((next + i) % n);
            if (member.outbox.force(message)) {
                next = (next + i + 1) % n;
                return true;
            }
        }
        return false;
    }

    private void remove(Outlet<byte[]> outlet) {
        lock.lock();
        try {
            members.remove(outlet);
            next = members.isEmpty() ? 0 : next % members.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every message given to {@link #send} so far has been sent by some member (and,
     * over acknowledged connections, acknowledged).
     *
     * @param timeout the most to wait
     * @return {@code true} if nothing is outstanding, {@code false} if the time ran out first
     * @throws InterruptedIOException if the thread is interrupted while waiting
     */
    public boolean awaitSent(Duration timeout) throws InterruptedIOException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (outstanding > 0) {
                if (left <= 0) {
                    return false;
                }
                left = settled.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("distributor: awaitSent: interrupted");
        } finally {
            lock.unlock();
        }
    }

    /**
     * The members now, in the order they joined. Never blocks; any thread may call it.
     *
     * @return the members now, in the order they joined.
     */
    public List<Member> members() {
        return locked(() -> List.copyOf(members));
    }

    /**
     * How many messages were given to {@code send} and not yet sent by a member. Never blocks; any thread may call it.
     *
     * @return how many messages were given to {@code send} and not yet sent by a member.
     */
    public long outstanding() {
        return locked(() -> outstanding);
    }

    /**
     * How many messages members have sent (acknowledged, over acknowledged connections). Never blocks; any thread may call it.
     *
     * @return how many messages members have sent (acknowledged, over acknowledged connections).
     */
    public long sent() {
        return locked(() -> sent);
    }

    /**
     * How many members were removed because sending to them failed. Never blocks; any thread may call it.
     *
     * @return how many members were removed because sending to them failed.
     */
    public long failed() {
        return locked(() -> failed);
    }

    /**
     * How many messages were given to another member after their first one failed. Never blocks; any thread may call it.
     *
     * @return how many messages were given to another member after their first one failed.
     */
    public long redelivered() {
        return locked(() -> redelivered);
    }

    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the distributor now: outstanding messages are discarded, every member's sender closed,
     * and blocked {@code send} calls end with {@link ConnectionClosedException}. Blocks until the
     * members' threads have ended. Idempotent.
     */
    @Override
    public void close() {
        List<Outlet<byte[]>> all;
        lock.lock();
        try {
            closed = true;
            all = List.copyOf(members);
            members.clear();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        Stopping.stopAll(all);
    }
}
