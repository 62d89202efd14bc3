package dev.conduit.internal;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * {@code receiveAsync} and {@code asPublisher} for one receiver (a connection's, or a
 * {@code Channel}'s): blocking receives on a virtual thread, handed out in the order they were
 * asked for.
 *
 * <p>A message received for a future that was cancelled meanwhile, or for a subscriber that
 * cancelled meanwhile, is kept and goes to the next future or subscriber, so nothing is lost
 * between them. Mixing these with direct receive calls on the same receiver gives no order
 * between the two.
 *
 * @param <T> what the receiver hands out
 */
public final class AsyncReceiver<T> {
    /**
     * The receiver's blocking receive.
     *
     * @param <T> what it returns
     */
    @FunctionalInterface
    public interface Source<T> {
        /**
         * @return the next message, never {@code null}
         * @throws Exception the receiver's failure, or its end ({@code isEnd} tells which)
         */
        T receive() throws Exception;
    }

    private final Source<T> source;
    private final String name;
    private final Predicate<Throwable> isEnd;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private final ArrayDeque<CompletableFuture<T>> pending = new ArrayDeque<>();
    private boolean pumping;
    private boolean subscribed;
    private T kept;

    /**
     * @param source the blocking receive, called by one thread at a time
     * @param name   how thread names and errors name the receiver
     * @param isEnd  whether a failure of {@code source} is the receiver's orderly end, which a
     *               publisher reports as {@code onComplete}
     */
    public AsyncReceiver(Source<T> source, String name, Predicate<Throwable> isEnd) {
        this.source = source;
        this.name = name;
        this.isEnd = isEnd;
    }

    /**
     * Never blocks.
     *
     * @return a future for the next message not promised to an earlier future
     */
    public CompletableFuture<T> next() {
        CompletableFuture<T> future = new CompletableFuture<>();
        lock.lock();
        try {
            pending.addLast(future);
            if (!pumping) {
                pumping = true;
                Thread.ofVirtual().name("conduit-receiveAsync " + name).start(this::pump);
            }
        } finally {
            lock.unlock();
        }
        return future;
    }

    private void pump() {
        while (true) {
            CompletableFuture<T> future;
            T message;
            lock.lock();
            try {
                while (!pending.isEmpty() && pending.peekFirst().isDone()) {
                    pending.removeFirst(); // Cancelled before its receive began.
                }
                if (pending.isEmpty()) {
                    pumping = false;
                    return;
                }
                future = pending.peekFirst();
                message = takeKept();
            } finally {
                lock.unlock();
            }
            Exception failure = null;
            if (message == null) {
                try {
                    message = source.receive();
                } catch (Exception e) {
                    failure = e;
                }
            }
            lock.lock();
            try {
                pending.remove(future);
                if (failure != null) {
                    future.completeExceptionally(failure);
                } else if (!future.complete(message)) {
                    kept = message;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private T takeKept() {
        T message = kept;
        kept = null;
        return message;
    }

    /**
     * Never blocks.
     *
     * @return a publisher of the receiver's messages, one subscriber at a time
     */
    public Flow.Publisher<T> publisher() {
        return this::subscribe;
    }

    private void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        lock.lock();
        boolean free = !subscribed;
        subscribed = true;
        lock.unlock();
        if (!free) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            subscriber.onError(new IllegalStateException(name + ": asPublisher: a subscriber is already"
                    + " subscribed"));
            return;
        }
        new Stream(subscriber).start();
    }

    /** One subscription: receives only while the subscriber has asked for more. */
    private final class Stream implements Flow.Subscription {
        private final Flow.Subscriber<? super T> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile Thread thread;
        private volatile IllegalArgumentException badRequest;

        Stream(Flow.Subscriber<? super T> subscriber) {
            this.subscriber = subscriber;
        }

        void start() {
            thread = Thread.ofVirtual().name("conduit-publisher " + name).unstarted(this::run);
            thread.start();
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                badRequest = new IllegalArgumentException(name + ": request(" + n + ") (expected > 0, rule 3.9)");
            } else {
                demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            }
            LockSupport.unpark(thread);
        }

        @Override
        public void cancel() {
            cancelled.set(true);
            LockSupport.unpark(thread);
        }

        private void run() {
            try {
                subscriber.onSubscribe(this);
                while (awaitDemand()) {
                    T message = receive();
                    if (message == null) {
                        return;
                    }
                    if (cancelled.get()) {
                        keep(message);
                        return;
                    }
                    demand.decrementAndGet();
                    subscriber.onNext(message);
                }
            } catch (Throwable t) {
                // A subscriber that throws breaks rule 2.13; the stream ends.
                cancelled.set(true);
            } finally {
                lock.lock();
                subscribed = false;
                lock.unlock();
            }
        }

        /** @return whether to receive: there is demand and no cancel; a bad request ends the stream */
        private boolean awaitDemand() {
            while (demand.get() == 0 && !cancelled.get() && badRequest == null) {
                LockSupport.park(this);
            }
            if (badRequest != null && !cancelled.get()) {
                cancelled.set(true);
                subscriber.onError(badRequest);
            }
            return !cancelled.get();
        }

        /** @return the next message, or {@code null} once the stream has ended (and been signalled) */
        private T receive() {
            T message;
            lock.lock();
            try {
                message = takeKept();
            } finally {
                lock.unlock();
            }
            if (message != null) {
                return message;
            }
            try {
                return source.receive();
            } catch (Exception e) {
                if (!cancelled.get()) {
                    if (isEnd.test(e)) {
                        subscriber.onComplete();
                    } else {
                        subscriber.onError(e);
                    }
                }
            }
            return null;
        }

        private void keep(T message) {
            lock.lock();
            try {
                kept = message;
            } finally {
                lock.unlock();
            }
        }
    }
}
