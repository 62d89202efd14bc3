package dev.conduit.pattern;

import dev.conduit.Connection;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One publisher's messages to every member: any {@link MessageSender}s (connections of any
 * transport, one-way senders, a mix), each with a bounded outbox and a virtual thread of its own
 * that sends from it, so a slow member delays the others only under
 * {@link SlowConsumerPolicy#BLOCK}.
 *
 * <pre>{@code
 * Broadcast prices = Broadcast.create(new MemberEvents() {
 *     public void disconnected(Member m) { log.warn(m.name() + " too slow, dropped from prices"); }
 * });
 * prices.join(Conduit.connect("unix:/tmp/risk.sock"), 1024, SlowConsumerPolicy.BLOCK);
 * prices.join(Conduit.connect("tcp://dash:7000"), 256, SlowConsumerPolicy.DISCONNECT);
 * prices.publish(tick);   // every member gets it, in publish order
 * }</pre>
 *
 * <p><b>Copies.</b> {@code publish} copies the message once into an array that every member's
 * outbox shares; each member's sender then copies it as its transport does (into a socket
 * buffer or a ring). Nothing is shared with the caller after {@code publish} returns.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. Publishes are ordered: every
 * member gets the messages it gets in the order their {@code publish} calls took place.
 *
 * <p><b>Members.</b> A member joins and leaves at any time; it gets every message whose
 * {@code publish} began after its {@code join} returned, until it leaves, fails or is
 * disconnected. The group owns each member's sender and closes it when the member ends. A
 * message longer than a member's {@code maxFrame} fails that member.
 */
public final class Broadcast implements AutoCloseable {
    private final MemberEvents events;
    private final ReentrantLock publishing = new ReentrantLock();
    private final List<Outlet<Parcel>> members = new CopyOnWriteArrayList<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong disconnected = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Outlet.Owner<Parcel> owner = new Outlet.Owner<>() {
        @Override
        public void sent(Outlet<Parcel> outlet, Parcel message) {
        }

        @Override
        public void leaving(Outlet<Parcel> outlet) {
            members.remove(outlet);
        }

        @Override
        public void failed(Outlet<Parcel> outlet, Throwable failure, Parcel inFlight, List<Parcel> queued) {
            members.remove(outlet);
            failed.incrementAndGet();
            events.failed(outlet, failure);
        }
    };
    private volatile boolean closed;

    private Broadcast(MemberEvents events) {
        this.events = events;
    }

    /**
     * Makes an empty group. Never blocks.
     *
     * @param events told of drops, disconnections and failures
     * @return the group, with no members
     */
    public static Broadcast create(MemberEvents events) {
        return new Broadcast(Objects.requireNonNull(events, "events"));
    }

    /**
     * Adds a member; it gets every message published from now on. Never blocks.
     *
     * @param sender         where the member's messages go; owned by the group from now on
     * @param outboxCapacity how many messages may wait for this member
     * @param policy         what a publish does when the member's outbox is full
     * @return the member, already receiving
     * @throws IllegalArgumentException if {@code outboxCapacity < 1}
     * @throws IllegalStateException    if the group is closed
     */
    public Member join(MessageSender sender, int outboxCapacity, SlowConsumerPolicy policy) {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(policy, "policy");
        if (outboxCapacity < 1) {
            throw new IllegalArgumentException("broadcast: join: outboxCapacity " + outboxCapacity + " (expected: >= 1)");
        }
        ReentrantLock lock = new ReentrantLock();
        Outlet<Parcel> outlet = new Outlet<>(owner, Parcel::deliver, sender,
                new Outbox<>(outboxCapacity, lock, lock.newCondition()), policy);
        if (closed) {
            throw new IllegalStateException("broadcast: join " + outlet.name() + ": the group is closed");
        }
        // Not under the publishing lock, which a publish blocked on a full member holds.
        members.add(outlet);
        outlet.start();
        if (closed && members.remove(outlet)) {
            Stopping.stopAll(List.of(outlet)); // close ran between the check and the add, and missed it
        }
        return outlet;
    }

    /**
     * Gives a copy of {@code message} to every member. Blocks only while a member with policy
     * {@link SlowConsumerPolicy#BLOCK} has a full outbox (and while another publish is under
     * way); with no members the message goes nowhere.
     *
     * @param message the message; copied, not retained
     * @throws InterruptedIOException if the thread is interrupted while blocked; members before
     *                                the blocked one have the message, the others do not
     * @throws IllegalStateException  if the group is closed
     */
    public void publish(byte[] message) throws InterruptedIOException {
        deliver(new Parcel(null, message.clone()));
    }

    /**
     * As {@link #publish(byte[])} for all of the segment's bytes.
     *
     * @param message the message; copied, not retained
     * @throws InterruptedIOException as {@link #publish(byte[])}
     */
    public void publish(MemorySegment message) throws InterruptedIOException {
        deliver(new Parcel(null, message.toArray(ValueLayout.JAVA_BYTE)));
    }

    /**
     * As {@link #publish(byte[])} for the string encoded as UTF-8.
     *
     * @param message the message
     * @throws InterruptedIOException as {@link #publish(byte[])}
     */
    public void publish(CharSequence message) throws InterruptedIOException {
        deliver(new Parcel(null, message.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Gives a copy of {@code message} with {@code subject} to every member, as
     * {@link #publish(byte[])}; each member's connection sends it only if its peer's
     * subscription matches the subject ({@link Connection#publish(String, byte[])}), and a member
     * whose peer passed it over does not count it in {@link Member#sent()}. A member that is not a
     * {@link Connection} (a one-way sender) gets the message without its subject; a member whose
     * connection speaks raw frames fails on it, with {@link UnsupportedOperationException}, told to
     * {@link MemberEvents#failed}. As a message longer than a member's {@code maxFrame} does, a
     * subject that is not 1 to 255 bytes of UTF-8 text fails each member that is a connection, on
     * that member's thread: the group uses only the public API, and checks subjects as each
     * member's connection does.
     *
     * @param subject the subject, as {@link Connection#publish(String, byte[])} takes it
     * @param message the message; copied, not retained
     * @throws InterruptedIOException as {@link #publish(byte[])}
     * @throws IllegalStateException  if the group is closed
     */
    public void publish(String subject, byte[] message) throws InterruptedIOException {
        deliver(new Parcel(Objects.requireNonNull(subject, "subject"), message.clone()));
    }

    /** A published message with its subject, or null for none, shared by the members' outboxes. */
    private record Parcel(String subject, byte[] bytes) {
        static boolean deliver(MessageSender sender, Parcel parcel) throws IOException {
            if (parcel.subject != null && sender instanceof Connection c) {
                return c.publish(parcel.subject, parcel.bytes);
            }
            sender.send(parcel.bytes);
            return true;
        }
    }

    private void deliver(Parcel copy) throws InterruptedIOException {
        try {
            publishing.lockInterruptibly();
            try {
                if (closed) {
                    throw new IllegalStateException("broadcast: publish: the group is closed");
                }
                published.incrementAndGet();
                for (Outlet<Parcel> member : members) {
                    offer(member, copy);
                }
            } finally {
                publishing.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("broadcast: publish: interrupted while a member's outbox was full");
        }
    }

    private void offer(Outlet<Parcel> member, Parcel copy) throws InterruptedException {
        switch (member.policy) {
            case BLOCK -> member.outbox.put(copy); // false: the member ended meanwhile
            case DROP_OLDEST -> {
                Parcel lost = member.outbox.offerDroppingOldest(copy);
                if (lost != null && lost != copy) {
                    member.dropped.incrementAndGet();
                    dropped.incrementAndGet();
                    events.dropped(member);
                }
            }
            case DISCONNECT -> {
                if (!member.outbox.offer(copy) && member.deactivate()) {
                    members.remove(member);
                    member.cutOff();
                    disconnected.incrementAndGet();
                    events.disconnected(member);
                }
            }
        }
    }

    /**
     * The members now. Never blocks.
     *
     * @return a snapshot, in the order they joined
     */
    public List<Member> members() {
        return List.copyOf(members);
    }

    /**
     * How many messages were published, to however many members. Never blocks; any thread may call it.
     *
     * @return how many messages were published, to however many members.
     */
    public long published() {
        return published.get();
    }

    /**
     * How many messages were dropped from full outboxes, all members together. Never blocks; any thread may call it.
     *
     * @return how many messages were dropped from full outboxes, all members together.
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * How many members were disconnected for a full outbox. Never blocks; any thread may call it.
     *
     * @return how many members were disconnected for a full outbox.
     */
    public long disconnected() {
        return disconnected.get();
    }

    /**
     * How many members were removed because sending to them failed. Never blocks; any thread may call it.
     *
     * @return how many members were removed because sending to them failed.
     */
    public long failed() {
        return failed.get();
    }

    /**
     * Ends the group now: every member's queued messages are discarded and its sender closed (a
     * send blocked on a slow peer ends). Blocks until the members' threads have ended. Idempotent.
     * A publish blocked on a full outbox returns.
     */
    @Override
    public void close() {
        closed = true;
        List<Outlet<Parcel>> all = List.copyOf(members);
        members.clear();
        Stopping.stopAll(all);
    }
}
