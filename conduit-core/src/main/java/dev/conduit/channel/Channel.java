package dev.conduit.channel;

import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.AsyncReceiver;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A typed channel between threads of one process: any number of {@link Sender}s, one
 * {@link Receiver}, values in the order they were sent (per sender, and in the order the sends
 * took place across senders).
 *
 * <pre>{@code
 * Channel<Order> orders = Channel.bounded(1024);
 * Channel.Sender<Order> first = orders.sender();
 * Channel.Sender<Order> second = first.duplicate();   // each sender is counted
 * Thread.ofVirtual().start(() -> { try (second) { second.send(order); } });
 * first.close();
 * Channel.Receiver<Order> in = orders.receiver();
 * Order o = in.receive();                             // blocks for the next value
 * }</pre>
 *
 * <p><b>Closing.</b> Senders are counted: the channel starts with one ({@link #sender()}),
 * {@link Sender#duplicate()} adds one, {@link Sender#close()} gives one up. Once every sender has
 * closed, the receiver gets the values still queued, then {@link ChannelClosedException}. Closing
 * the receiver discards what is queued and makes every send fail from then on, including sends
 * blocked on a full channel.
 *
 * <p><b>Threads.</b> Every method of this class, of {@link Sender} and of {@link Receiver} may
 * be called from any thread, virtual threads included (waits park, they do not pin). Values must
 * not be {@code null}.
 *
 * @param <T> the type of the values
 */
public final class Channel<T> {
    /** The capacity of an unbounded channel: in practice, memory is the bound. */
    private static final int UNBOUNDED = Integer.MAX_VALUE;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<T> values;
    private final int capacity;
    private final Sender<T> sender;
    private final Receiver<T> receiver;
    // Guarded by lock.
    private int senders = 1;
    private boolean receiverClosed;
    private int receiversWaiting;
    private int sendersWaiting;

    private Channel(int capacity) {
        this.capacity = capacity;
        this.values = new ArrayDeque<>(Math.min(capacity, 64));
        this.sender = new Sender<>(this);
        this.receiver = new Receiver<>(this);
    }

    /**
     * Makes a channel with no capacity limit: values queue until memory runs out.
     *
     * @param <T> the type of the values
     * @return a new channel that never makes a sender wait, with one sender and one receiver
     */
    public static <T> Channel<T> unbounded() {
        return new Channel<>(UNBOUNDED);
    }

    /**
     * Makes a channel that holds at most {@code capacity} values, so that a fast sender waits
     * for a slow receiver.
     *
     * @param <T>      the type of the values
     * @param capacity how many values may wait in the channel, at least 1; a send waits while it
     *                 is full
     * @return a new channel holding at most {@code capacity} values, with one sender and one
     *         receiver
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public static <T> Channel<T> bounded(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected >= 1)");
        }
        return new Channel<>(capacity);
    }

    /**
     * The sender the channel was made with. Never blocks.
     *
     * @return the channel's first sender, the same on every call (closed, once it was closed);
     *         more come from {@link Sender#duplicate()}
     */
    public Sender<T> sender() {
        return sender;
    }

    /**
     * The channel's receiver. Never blocks.
     *
     * @return the channel's one receiver, the same on every call
     */
    public Receiver<T> receiver() {
        return receiver;
    }

    /** @return e.g. {@code Channel[bounded 16, 3 queued, 2 senders]} */
    @Override
    public String toString() {
        lock.lock();
        try {
            return "Channel[" + (capacity == UNBOUNDED ? "unbounded" : "bounded " + capacity) + ", "
                    + values.size() + " queued, " + senders + (senders == 1 ? " sender" : " senders")
                    + (receiverClosed ? ", receiver closed" : "") + "]";
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param waitNanos -1 to wait as long as it takes, 0 not at all, else the most to wait
     * @return whether the value went in; false if the channel stayed full
     */
    private boolean put(Sender<T> from, T value, long waitNanos, String call) throws InterruptedException {
        Objects.requireNonNull(value, "value");
        lock.lockInterruptibly();
        try {
            long left = waitNanos;
            while (true) {
                checkSendable(from, call);
                if (values.size() < capacity) {
                    break;
                }
                if (left == 0) {
                    return false;
                }
                sendersWaiting++;
                try {
                    if (left < 0) {
                        notFull.await();
                    } else {
                        left = Math.max(0, notFull.awaitNanos(left));
                    }
                } finally {
                    sendersWaiting--;
                }
            }
            values.addLast(value);
            if (receiversWaiting > 0) {
                notEmpty.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void checkSendable(Sender<T> from, String call) {
        if (from.closed) {
            throw new ChannelClosedException(this + ": " + call + ": this sender is closed");
        }
        if (receiverClosed) {
            throw new ChannelClosedException(this + ": " + call + ": the receiver has closed");
        }
    }

    /**
     * @param waitNanos as {@link #put}
     * @return the next value, or {@code null} if none came in time
     */
    private T take(long waitNanos, String call) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long left = waitNanos;
            while (values.isEmpty()) {
                if (receiverClosed) {
                    throw new ChannelClosedException(this + ": " + call + ": the receiver is closed");
                }
                if (senders == 0) {
                    throw new ChannelClosedException(this + ": " + call + ": every sender has closed");
                }
                if (left == 0) {
                    return null;
                }
                receiversWaiting++;
                try {
                    if (left < 0) {
                        notEmpty.await();
                    } else {
                        left = Math.max(0, notEmpty.awaitNanos(left));
                    }
                } finally {
                    receiversWaiting--;
                }
            }
            T value = values.removeFirst();
            if (sendersWaiting > 0) {
                notFull.signal();
            }
            return value;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A sending end. Closing it gives up this sender; the channel closes for the receiver when
     * its last sender closes.
     *
     * @param <T> the type of the values
     */
    public static final class Sender<T> implements AutoCloseable {
        private final Channel<T> channel;
        private boolean closed; // Guarded by the channel's lock.

        private Sender(Channel<T> channel) {
            this.channel = channel;
        }

        /**
         * Puts {@code value} in the channel, waiting while a bounded channel is full.
         *
         * @param value the value to send, never {@code null}
         * @throws ChannelClosedException if this sender is closed, or the receiver has closed
         *                                (also while this call waited)
         * @throws InterruptedException   if the thread is interrupted while it waits
         * @throws NullPointerException   if {@code value} is {@code null}
         */
        public void send(T value) throws InterruptedException {
            channel.put(this, value, -1, "send");
        }

        /**
         * Puts {@code value} in the channel, waiting at most {@code timeout} while a bounded
         * channel is full.
         *
         * @param value   the value to send, never {@code null}
         * @param timeout how long to wait for room; zero or negative means no wait
         * @return whether the value went in; {@code false} if the channel stayed full
         * @throws ChannelClosedException as {@link #send(Object)}
         * @throws InterruptedException   if the thread is interrupted while it waits
         * @throws NullPointerException   if {@code value} is {@code null}
         */
        public boolean send(T value, Duration timeout) throws InterruptedException {
            return channel.put(this, value, AbstractConnection.toWaitNanos(timeout), "send");
        }

        /**
         * Puts {@code value} in the channel if there is room now; never waits.
         *
         * @param value the value to send, never {@code null}
         * @return {@link TrySend.Sent}; or {@link TrySend.Full} or {@link TrySend.Closed}, either
         *         handing the value back
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public TrySend<T> trySend(T value) {
            try {
                return channel.put(this, value, 0, "trySend") ? new TrySend.Sent<>() : new TrySend.Full<>(value);
            } catch (ChannelClosedException e) {
                return new TrySend.Closed<>(value);
            } catch (InterruptedException e) {
                // Only the wait for the lock can be interrupted: the value did not go in.
                Thread.currentThread().interrupt();
                return new TrySend.Full<>(value);
            }
        }

        /**
         * Adds a sender to the channel, so that the receiver sees the channel closed only after
         * this one closes too. Never blocks for long.
         *
         * @return another sender of the same channel, counted separately
         * @throws ChannelClosedException if this sender is closed
         */
        public Sender<T> duplicate() {
            channel.lock.lock();
            try {
                if (closed) {
                    throw new ChannelClosedException(channel + ": duplicate: this sender is closed");
                }
                channel.senders++;
                return new Sender<>(channel);
            } finally {
                channel.lock.unlock();
            }
        }

        /**
         * Gives up this sender; if it was the last, the receiver will see the channel closed
         * once it has taken what is queued. Idempotent; never blocks for long.
         */
        @Override
        public void close() {
            channel.lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (--channel.senders == 0) {
                    channel.notEmpty.signalAll();
                }
            } finally {
                channel.lock.unlock();
            }
        }
    }

    /**
     * The receiving end.
     *
     * @param <T> the type of the values
     */
    public static final class Receiver<T> implements AutoCloseable {
        private final Channel<T> channel;
        private final AsyncReceiver<T> async;

        private Receiver(Channel<T> channel) {
            this.channel = channel;
            this.async = new AsyncReceiver<>(this::receive, "channel", ChannelClosedException.class::isInstance);
        }

        /**
         * Takes the next value, waiting for one.
         *
         * @return the value, never {@code null}
         * @throws ChannelClosedException once every sender has closed and every value has been
         *                                taken, or once the receiver is closed
         * @throws InterruptedException   if the thread is interrupted while it waits
         */
        public T receive() throws InterruptedException {
            return channel.take(-1, "receive");
        }

        /**
         * Takes the next value, waiting at most {@code timeout}.
         *
         * @param timeout how long to wait; zero or negative means no wait
         * @return the value, or {@code null} if none came in time
         * @throws ChannelClosedException as {@link #receive()}
         * @throws InterruptedException   if the thread is interrupted while it waits
         */
        public T receive(Duration timeout) throws InterruptedException {
            return channel.take(AbstractConnection.toWaitNanos(timeout), "receive");
        }

        /**
         * Takes the next value if one is there; never waits.
         *
         * @return {@link TryReceive.Received} with the value, {@link TryReceive.Empty} if none is
         *         there yet, or {@link TryReceive.Closed} as {@link #receive()} would throw
         */
        public TryReceive<T> tryReceive() {
            try {
                T value = channel.take(0, "tryReceive");
                return value == null ? new TryReceive.Empty<>() : new TryReceive.Received<>(value);
            } catch (ChannelClosedException e) {
                return new TryReceive.Closed<>();
            } catch (InterruptedException e) {
                // Only the wait for the lock can be interrupted: nothing was taken.
                Thread.currentThread().interrupt();
                return new TryReceive.Empty<>();
            }
        }

        /**
         * Asks for the next value without waiting for it (axeberg's {@code rx.recv().await}): the
         * future completes with the value, or exceptionally with {@link ChannelClosedException}
         * as {@link #receive()} would throw. Futures complete in the order they were asked for,
         * served by one virtual thread that receives only while a future is waiting. A value
         * taken for a future that was cancelled meanwhile goes to the next future (or
         * {@link #asPublisher()} subscriber), never lost. Mixing this with {@link #receive()}
         * from other threads gives no order between the two. Never blocks; any thread.
         *
         * @return a future for the next value not promised to an earlier future
         */
        public CompletableFuture<T> receiveAsync() {
            return async.next();
        }

        /**
         * The values as a {@link Flow.Publisher}, for one subscriber at a time (a second gets
         * {@code onError} with {@link IllegalStateException}). A virtual thread takes a value
         * only while the subscriber has requested more, so its {@code request(n)} is the
         * back-pressure on a bounded channel. The channel's close is {@code onComplete}. Never
         * blocks; any thread.
         *
         * @return the publisher
         */
        public Flow.Publisher<T> asPublisher() {
            return async.publisher();
        }

        /**
         * Closes the channel from this side: queued values are discarded, and every send from
         * now on fails, including sends waiting on a full channel. Idempotent; never blocks for
         * long.
         */
        @Override
        public void close() {
            channel.lock.lock();
            try {
                channel.receiverClosed = true;
                channel.values.clear();
                channel.notFull.signalAll();
                channel.notEmpty.signalAll();
            } finally {
                channel.lock.unlock();
            }
        }
    }
}
