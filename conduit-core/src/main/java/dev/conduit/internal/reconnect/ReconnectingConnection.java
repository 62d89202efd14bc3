package dev.conduit.internal.reconnect;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionDownException;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.session.SessionConnection;
import dev.conduit.spi.support.SendMode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A client connection that dials again when it loses its peer ({@code ?reconnect=true}): the
 * calls go to the connection of the moment, and one that finds it lost waits for the next.
 *
 * <p>What a loss costs: a message the lost connection had taken (sent, or written and not yet
 * flushed) but the peer had not read is gone, unless the session protocol's acknowledgements
 * are on; the {@code send} that found the loss is made again on the next connection. With
 * acknowledgements, the connections are one resumed session (RESUME) and each acknowledged
 * message keeps its number when sent again, so the listener drops a copy it delivered already. A send
 * while down waits up to {@code downTimeout}, then fails with {@link ConnectionDownException}
 * (the connection stays, and goes on trying); a receive waits as its own time-out says. Once
 * {@code reconnectGiveUp} has passed down, every call fails, and the connection is over.
 *
 * <p>One virtual thread re-dials, with the waits of {@link ReconnectPolicy}, through
 * {@code dial}, which runs the transport and the layers below this one.
 */
public final class ReconnectingConnection extends AbstractConnection {
    /** Makes a new connection to the peer, with the layers below this one. */
    @FunctionalInterface
    public interface Dialer {
        /**
         * @param refused told of a handshake that failed after the transport connected
         * @return the new connection
         * @throws IOException if the connection or its handshakes failed
         */
        Connection dial(Consumer<IOException> refused) throws IOException;
    }

    private final Dialer dialer;
    private final ReconnectPolicy policy;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by {@link #lock}: the connection of the moment, or null while down. */
    private Connection current;
    /** Guarded by {@link #lock}: why the connection is over (gave up), or null. */
    private IOException over;
    /** Guarded by {@link #lock}: what ended the last connection or attempt. */
    private IOException lastFailure;
    private Thread redialer;
    private volatile long reconnects;
    /**
     * The numbers of acknowledged sends, across connections, when the connections are sessions
     * resumed under one id: a message sent again keeps its number, so the listener drops a copy
     * it delivered already. Null otherwise.
     */
    private final AtomicLong numbers;
    /** The prefixes last subscribed to, sent again on each new connection; null for none. */
    private volatile String[] subscription;

    private ReconnectingConnection(Endpoint endpoint, Connection first, Dialer dialer, ReconnectPolicy policy,
            boolean numbered) {
        super(endpoint, endpoint.toString(), Options.maxFrame(endpoint));
        this.current = first;
        this.dialer = dialer;
        this.policy = policy;
        this.numbers = numbered ? new AtomicLong() : null;
    }

    /**
     * @param endpoint the endpoint as the user wrote it, reconnect options included
     * @param first    the connection already made; owned from now on
     * @param dialer   makes each later one
     * @param numbered whether the connections are sessions resumed under one id, whose
     *                 acknowledged sends this numbers ({@link SessionConnection#sendNumbered})
     * @return the connection
     * @throws IllegalArgumentException if a reconnect option is malformed (then {@code first} is closed)
     */
    public static ReconnectingConnection open(Endpoint endpoint, Connection first, Dialer dialer, boolean numbered)
            throws IOException {
        ReconnectPolicy policy;
        try {
            policy = ReconnectPolicy.of(endpoint);
        } catch (RuntimeException e) {
            first.close();
            throw e;
        }
        return new ReconnectingConnection(endpoint, first, dialer, policy, numbered);
    }

    /** @return how many times this connection has dialed again successfully */
    public long reconnects() {
        return reconnects;
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        Connection c = currentOrNull();
        return c == null ? Optional.empty() : c.peerCredentials();
    }

    @Override
    public boolean lastReceivedWasText() {
        Connection c = currentOrNull();
        return c != null && c.lastReceivedWasText();
    }

    // ---- receiving --------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        boolean forever = waitNanos == FOREVER;
        long deadline = System.nanoTime() + Math.max(0, waitNanos);
        while (true) {
            long left = forever ? FOREVER : Math.max(0, deadline - System.nanoTime());
            Connection c = awaitUp(left, "receive");
            if (c == null) {
                return null;
            }
            try {
                left = forever ? FOREVER : Math.max(0, deadline - System.nanoTime());
                byte[] message = forever ? c.receive() : left == 0 ? c.tryReceive()
                        : c.receive(Duration.ofNanos(left));
                return message == null ? null : ByteBuffer.wrap(message);
            } catch (ConnectionClosedException e) {
                lost(c, e, "receive");
            }
        }
    }

    // ---- sending ----------------------------------------------------------------------------

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        MemorySegment message = Payloads.view(payload, offset, length);
        long seq = numbers != null && mode == SendMode.SEND ? numbers.incrementAndGet() : 0;
        long deadline = System.nanoTime() + (mode == SendMode.TRY_SEND ? 0 : policy.downTimeoutNanos());
        while (true) {
            Connection c = awaitUp(Math.max(0, deadline - System.nanoTime()), "send");
            if (c == null) {
                if (mode == SendMode.TRY_SEND) {
                    return false;
                }
                throw down("send");
            }
            try {
                if (seq != 0) {
                    ((SessionConnection) c).sendNumbered(seq, message);
                    return true;
                }
                switch (mode) {
                    case SEND -> c.send(message);
                    case WRITE -> c.write(message);
                    case TRY_SEND -> {
                        return c.trySend(message);
                    }
                }
                return true;
            } catch (ConnectionClosedException e) {
                lost(c, e, "send");
            }
        }
    }

    @Override
    protected void flushWritten() throws IOException {
        Connection c = currentOrNull();
        if (c == null) {
            return; // What was written went with the lost connection.
        }
        try {
            c.flush();
        } catch (ConnectionClosedException e) {
            lost(c, e, "flush");
        }
    }

    private ConnectionDownException down(String call) {
        lock.lock();
        try {
            return new ConnectionDownException(name + ": " + call + ": the connection is down and did not come back"
                    + " within downTimeout " + text(Duration.ofNanos(policy.downTimeoutNanos())) + "; still trying",
                    lastFailure);
        } finally {
            lock.unlock();
        }
    }

    // ---- subjects ---------------------------------------------------------------------------

    /** {@inheritDoc} The prefixes are sent again on each new connection, before calls use it. */
    @Override
    public void subscribe(String... prefixes) throws IOException {
        String[] set = prefixes.clone();
        long deadline = System.nanoTime() + policy.downTimeoutNanos();
        while (true) {
            Connection c = awaitUp(Math.max(0, deadline - System.nanoTime()), "subscribe");
            if (c == null) {
                throw down("subscribe");
            }
            String[] before = subscription;
            subscription = set; // before the send, so a re-dial racing it sends this set
            try {
                c.subscribe(set);
                return;
            } catch (ConnectionClosedException e) {
                lost(c, e, "subscribe");
            } catch (IOException | RuntimeException e) {
                subscription = before;
                throw e;
            }
        }
    }

    @Override
    public boolean publish(String subject, byte[] message) throws IOException {
        MemorySegment segment = MemorySegment.ofArray(message);
        long[] seq = {0};
        // Taken only for a message that goes out, and kept for its copies on later connections.
        LongSupplier number = () -> seq[0] != 0 ? seq[0] : (seq[0] = numbers.incrementAndGet());
        long deadline = System.nanoTime() + policy.downTimeoutNanos();
        return transmitOwn(message.length, SendMode.SEND, () -> {
            while (true) {
                Connection c = awaitUp(Math.max(0, deadline - System.nanoTime()), "publish");
                if (c == null) {
                    throw down("publish");
                }
                try {
                    return numbers == null ? c.publish(subject, message)
                            : ((SessionConnection) c).publish(number, subject, segment);
                } catch (ConnectionClosedException e) {
                    lost(c, e, "publish");
                }
            }
        });
    }

    @Override
    public String lastSubject() {
        Connection c = currentOrNull();
        return c == null ? null : c.lastSubject();
    }

    // ---- the connection of the moment --------------------------------------------------------

    private Connection currentOrNull() {
        lock.lock();
        try {
            return current;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until there is a connection.
     *
     * @param nanos {@link #FOREVER}, or the most to wait
     * @return the connection, or null if none came in time
     * @throws ConnectionClosedException if this side closed, or the connection gave up
     */
    private Connection awaitUp(long nanos, String call) throws IOException {
        lock.lock();
        try {
            long left = nanos;
            while (current == null && over == null && !isClosedLocally()) {
                if (nanos != FOREVER && left <= 0) {
                    return null;
                }
                if (nanos == FOREVER) {
                    changed.await();
                } else {
                    left = changed.awaitNanos(left);
                }
            }
            if (isClosedLocally()) {
                throw closedLocally(call);
            }
            if (over != null) {
                throw new ConnectionClosedException(name + ": " + call + ": " + over.getMessage(), over.getCause());
            }
            return current;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(call);
        } finally {
            lock.unlock();
        }
    }

    /** {@code c} was found lost: if it is still the connection of the moment, go down and re-dial. */
    private void lost(Connection c, ConnectionClosedException cause, String call) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
        Thread dialing = null;
        lock.lock();
        try {
            if (current == c) {
                current = null;
                lastFailure = cause;
                dialing = Thread.ofVirtual().name("conduit-reconnect " + name).unstarted(this::redial);
                redialer = dialing;
            }
        } finally {
            lock.unlock();
        }
        closeQuietly(c);
        if (dialing != null) {
            // Told before the re-dialing starts, so subscribers hear the loss before the first wait.
            if (events.any()) {
                events.fire(new ConnectionEvent.Disconnected(endpoint(), false, cause));
            }
            dialing.start();
        }
    }

    /** The re-dialing thread's loop: waits, dials, until a connection, a close, or the give-up. */
    private void redial() {
        long start = System.nanoTime();
        for (int attempt = 1; !isClosedLocally(); attempt++) {
            long delay = policy.delayNanos(attempt, ThreadLocalRandom.current());
            if (policy.giveUpNanos() != Long.MAX_VALUE && System.nanoTime() + delay - start > policy.giveUpNanos()) {
                giveUp(attempt - 1, System.nanoTime() - start);
                return;
            }
            if (events.any()) {
                events.fire(new ConnectionEvent.Reconnecting(endpoint(), attempt, Duration.ofNanos(delay),
                        lastFailure()));
            }
            LockSupport.parkNanos(delay);
            if (isClosedLocally()) {
                return;
            }
            try {
                Connection c = dialer.dial(e -> {
                    if (events.any()) {
                        events.fire(new ConnectionEvent.HandshakeRefused(endpoint(), e));
                    }
                });
                String[] sent = resubscribe(c, null);
                if (!up(c)) {
                    closeQuietly(c);
                    return;
                }
                try {
                    resubscribe(c, sent); // a subscribe made while this one was coming up
                } catch (IOException | RuntimeException e) {
                    // c is closed: the next call on it finds it lost and dials again.
                }
                return;
            } catch (IOException | RuntimeException e) {
                lock.lock();
                try {
                    lastFailure = e instanceof IOException io ? io : new IOException(e);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /**
     * Sends the subscription of the moment on {@code c}, unless it is {@code sent}.
     *
     * @return the subscription sent, or null
     * @throws IOException if that failed; {@code c} is closed then
     */
    private String[] resubscribe(Connection c, String[] sent) throws IOException {
        String[] set = subscription;
        if (set != null && set != sent) {
            try {
                c.subscribe(set);
            } catch (IOException | RuntimeException e) {
                closeQuietly(c);
                throw e;
            }
        }
        return set;
    }

    /** @return false if this side closed meanwhile, so {@code c} is not wanted */
    private boolean up(Connection c) {
        lock.lock();
        try {
            if (isClosedLocally()) {
                return false;
            }
            current = c;
            reconnects++;
            counters.reconnected();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (events.any()) {
            events.fire(new ConnectionEvent.Connected(endpoint(), c.toString(), reconnects));
        }
        return true;
    }

    private IOException lastFailure() {
        lock.lock();
        try {
            return lastFailure;
        } finally {
            lock.unlock();
        }
    }

    private void giveUp(int attempts, long downNanos) {
        lock.lock();
        try {
            String last = lastFailure == null ? "" : "; the last failure: " + lastFailure.getMessage();
            over = new IOException("gave up reconnecting after " + attempts + " attempt" + (attempts == 1 ? "" : "s")
                    + " in " + text(Duration.ofNanos(downNanos)) + " (reconnectGiveUp "
                    + text(Duration.ofNanos(policy.giveUpNanos())) + ")" + last, lastFailure);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- closing ----------------------------------------------------------------------------

    @Override
    protected void closeTransport() throws IOException {
        Connection c;
        Thread dialing;
        lock.lock();
        try {
            c = current;
            current = null;
            dialing = redialer;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (dialing != null) {
            LockSupport.unpark(dialing);
        }
        if (c != null) {
            c.close();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (IOException e) {
            // A connection already lost: nothing more to report about it.
        }
    }
}
