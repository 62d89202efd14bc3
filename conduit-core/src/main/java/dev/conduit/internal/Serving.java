package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionHandler;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.Server;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * {@link Listener#serve}: an accept loop on a virtual thread and a virtual thread per connection.
 * The handlers' threads and connections are kept in one map under one lock, so that close can
 * refuse a connection accepted after it began and wait until the map is empty.
 */
public final class Serving implements Server {
    private static final long DAYS_OF_RETRIES = TimeUnit.DAYS.toNanos(365);

    private final Listener listener;
    private final ConnectionHandler handler;
    private final long graceNanos;
    private final BiConsumer<? super Endpoint, ? super Throwable> onFailure;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ended = lock.newCondition();
    /** Guarded by {@code lock}: the running handlers' threads and their connections. */
    private final Map<Thread, Connection> running = new HashMap<>();
    /** Connections this server closed itself, whose handlers' failures are then not reported. */
    private final Set<Connection> cutOff = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread acceptor;
    private volatile boolean closing;
    private volatile IOException listenerFailure;

    private Serving(Listener listener, ConnectionHandler handler, Duration grace,
            BiConsumer<? super Endpoint, ? super Throwable> onFailure) {
        this.listener = listener;
        this.handler = handler;
        this.graceNanos = grace.toNanos();
        this.onFailure = onFailure;
        this.acceptor = Thread.ofVirtual().name("conduit-serve " + listener.endpoint().redacted())
                .unstarted(this::acceptLoop);
    }

    /** See {@link Listener#serve}. */
    public static Server start(Listener listener, ConnectionHandler handler, Duration grace,
            BiConsumer<? super Endpoint, ? super Throwable> onFailure) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onFailure, "onFailure");
        if (grace.isNegative()) {
            throw new IllegalArgumentException(listener.endpoint().redacted() + ": serve: grace " + grace
                    + " (expected: >= 0)");
        }
        Serving server = new Serving(listener, handler, grace, onFailure);
        server.acceptor.start();
        return server;
    }

    private void acceptLoop() {
        Backoff backoff = null;
        while (!closing) {
            Connection connection;
            try {
                connection = listener.accept();
                backoff = null;
            } catch (ConnectionClosedException e) {
                return; // closed by close(), or by someone else: either way nothing more comes
            } catch (IOException | RuntimeException e) {
                report(listener.endpoint(), e);
                backoff = backoff == null ? new Backoff(DAYS_OF_RETRIES) : backoff;
                if (!pause(backoff)) {
                    return;
                }
                continue;
            }
            startHandler(connection);
        }
    }

    private boolean pause(Backoff backoff) {
        try {
            return backoff.pause(listener.endpoint().redacted() + ": serve: accept");
        } catch (InterruptedIOException e) {
            return false;
        }
    }

    private void startHandler(Connection connection) {
        Thread thread = Thread.ofVirtual().name("conduit-serve " + connection.endpoint().redacted())
                .unstarted(() -> handle(connection));
        lock.lock();
        try {
            if (closing) {
                closeQuietly(connection); // accepted as close began: it gets no handler
                return;
            }
            running.put(thread, connection);
        } finally {
            lock.unlock();
        }
        thread.start();
    }

    private void handle(Connection connection) {
        Throwable failure = null;
        try {
            handler.handle(connection);
        } catch (ConnectionClosedException e) {
            // The ordinary end: the peer closed or died, or close() cut the connection off.
        } catch (Throwable e) {
            failure = e;
        }
        try {
            connection.close();
        } catch (IOException | RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        lock.lock();
        try {
            running.remove(Thread.currentThread());
            ended.signalAll();
        } finally {
            lock.unlock();
        }
        if (failure != null && !cutOff.contains(connection)) {
            report(connection.endpoint(), failure);
        }
        cutOff.remove(connection);
    }

    /** Tells the user; what the callback throws goes to the uncaught-exception handler, so accepting goes on. */
    private void report(Endpoint endpoint, Throwable failure) {
        try {
            onFailure.accept(endpoint, failure);
        } catch (RuntimeException | Error e) {
            Thread thread = Thread.currentThread();
            thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
        }
    }

    @Override
    public Endpoint endpoint() {
        return listener.endpoint();
    }

    @Override
    public int activeConnections() {
        lock.lock();
        try {
            return running.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isOpen() {
        return !closing;
    }

    @Override
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() throws IOException {
        Thread caller = Thread.currentThread();
        boolean first;
        lock.lock();
        try {
            first = !closing;
            closing = true;
        } finally {
            lock.unlock();
        }
        if (first) {
            // On a thread of its own, so an interrupted caller (or a handler closing its own
            // server) leaves the closing to finish all the same.
            Thread.ofVirtual().name("conduit-serve-close " + listener.endpoint().redacted())
                    .start(() -> shutDown(caller));
        }
        if (!running(caller)) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(listener.endpoint().redacted() + ": serve: close: interrupted"
                        + " while waiting for handlers to end");
            }
        }
        if (listenerFailure != null) {
            throw listenerFailure;
        }
    }

    private boolean running(Thread thread) {
        lock.lock();
        try {
            return running.containsKey(thread);
        } finally {
            lock.unlock();
        }
    }

    private void shutDown(Thread caller) {
        try {
            listener.close();
        } catch (IOException e) {
            listenerFailure = e;
        }
        try {
            acceptor.join();
            awaitHandlers(caller, System.nanoTime() + graceNanos);
            Map<Thread, Connection> left;
            lock.lock();
            try {
                left = new HashMap<>(running);
            } finally {
                lock.unlock();
            }
            left.remove(caller);
            // Closed outside the lock: a close may wait a while for queued bytes to go out.
            left.forEach((thread, connection) -> {
                cutOff.add(connection);
                closeQuietly(connection);
                thread.interrupt();
            });
            awaitHandlers(caller, Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts this thread; give up waiting if one does
        } finally {
            closed.countDown();
        }
    }

    /** Waits until no handler but {@code caller}'s runs, or until {@code deadline} ({@code Long.MAX_VALUE}: none). */
    private void awaitHandlers(Thread caller, long deadline) throws InterruptedException {
        lock.lock();
        try {
            while (running.size() > (running.containsKey(caller) ? 1 : 0)) {
                if (deadline == Long.MAX_VALUE) {
                    ended.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    ended.awaitNanos(left);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (IOException | RuntimeException e) {
            // Closed all the same; the handler (if any) sees its calls end.
        }
    }
}
