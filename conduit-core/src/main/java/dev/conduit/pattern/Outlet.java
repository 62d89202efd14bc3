package dev.conduit.pattern;

import dev.conduit.Connection;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Member}: its outbox and the virtual thread that empties it into the sender.
 *
 * @param <M> what the outbox holds: a distributor's messages, a broadcast's messages with their subjects
 */
final class Outlet<M> implements Member {
    /** How a message of the outbox goes out through the sender. */
    @FunctionalInterface
    interface Delivery<M> {
        /** @return whether it went out (false: the peer's subscription passed it over) */
        boolean deliver(MessageSender sender, M message) throws IOException;
    }

    /** The group, told what became of the member's messages. */
    interface Owner<M> {
        /** {@code message} went out through {@code outlet}'s sender. */
        void sent(Outlet<M> outlet, M message);

        /** {@code outlet} left of its own accord; it must get no more messages. */
        void leaving(Outlet<M> outlet);

        /**
         * Sending {@code inFlight} failed, while in the group or draining after leaving;
         * {@code queued} were still in the outbox. The sender is closed.
         */
        void failed(Outlet<M> outlet, Throwable failure, M inFlight, List<M> queued);
    }

    private final Owner<M> owner;
    private final Delivery<M> delivery;
    private final MessageSender sender;
    private final String name;
    final Outbox<M> outbox;
    final SlowConsumerPolicy policy;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean active = new AtomicBoolean(true);
    private volatile boolean stopped;

    Outlet(Owner<M> owner, Delivery<M> delivery, MessageSender sender, Outbox<M> outbox, SlowConsumerPolicy policy) {
        this.owner = owner;
        this.delivery = delivery;
        this.sender = sender;
        this.name = sender instanceof Connection c ? c.endpoint().redacted() : sender.toString();
        this.outbox = outbox;
        this.policy = policy;
        this.thread = Thread.ofVirtual().name("conduit-member " + name).unstarted(this::run);
    }

    /** The delivery of plain messages: {@code send}. */
    static boolean send(MessageSender sender, byte[] message) throws IOException {
        sender.send(message);
        return true;
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (true) {
            M message;
            try {
                message = outbox.take();
            } catch (InterruptedException e) {
                break;
            }
            if (message == null) {
                break; // left, removed, or the group closed
            }
            try {
                if (!delivery.deliver(sender, message)) {
                    continue;
                }
            } catch (Exception e) {
                List<M> queued = outbox.close();
                closeSender();
                if (!stopped) {
                    deactivate();
                    owner.failed(this, e, message, queued);
                }
                return;
            }
            sent.incrementAndGet();
            owner.sent(this, message);
        }
        closeSender();
    }

    /** @return whether this call took the member out of its group (only one call does) */
    boolean deactivate() {
        return active.compareAndSet(true, false);
    }

    /** Ends the member at once: what its outbox holds is discarded, its sender closed, its thread waited for. */
    void stopNow() throws InterruptedException {
        stopped = true;
        deactivate();
        outbox.close();
        closeSender(); // ends a send blocked on a full peer
        thread.join();
    }

    /**
     * Ends the member without waiting: no more messages, what was queued discarded. The sender is
     * closed on a thread of its own, which ends a send blocked on the slow peer: a close may wait
     * a while for bytes already queued, and the publisher calling this must not.
     */
    void cutOff() {
        stopped = true;
        outbox.close();
        Thread.ofVirtual().name("conduit-member-close " + name).start(this::closeSender);
    }

    private void closeSender() {
        try {
            sender.close();
        } catch (Exception e) {
            // The member is over either way; its peer sees the close or the loss.
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MessageSender sender() {
        return sender;
    }

    @Override
    public long sent() {
        return sent.get();
    }

    @Override
    public long dropped() {
        return dropped.get();
    }

    @Override
    public int queued() {
        return outbox.size();
    }

    @Override
    public boolean isActive() {
        return active.get();
    }

    @Override
    public void leave() {
        if (deactivate()) {
            owner.leaving(this);
            outbox.finish();
        }
    }

    @Override
    public String toString() {
        return "Member[" + name + ", sent=" + sent() + ", dropped=" + dropped() + ", queued=" + queued() + "]";
    }
}
