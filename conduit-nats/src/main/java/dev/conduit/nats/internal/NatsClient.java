package dev.conduit.nats.internal;

import dev.conduit.AuthenticationException;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionDownException;
import dev.conduit.spi.support.Timeouts;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One jnats connection to the server, shared by a listener and the connections it accepted
 * (counted: the last {@link #release()} closes it), and the bound on a lost server.
 *
 * <p>jnats reconnects by itself, without limit here; while the server is away, a publish goes
 * to jnats' reconnect buffer and a subscriber simply gets nothing. Conduit bounds that: once
 * the connection has been down for longer than {@code ?serverDownTimeout=} (30 s by default),
 * {@link #checkUp} closes it and every call, blocked or later, throws
 * {@link ConnectionDownException}.
 */
final class NatsClient {
    /** How often a blocked call looks at whether the server connection is still worth waiting for. */
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Duration SLICE = Duration.ofNanos(SLICE_NANOS);
    /** How long one connection attempt may take when the caller gives no time-out. */
    private static final Duration ATTEMPT = Duration.ofSeconds(2);
    /** How long closing waits for the server to take what was published. */
    static final int FLUSH_SECONDS = 5;
    /** {@code downSince} once jnats has closed the connection: even, so no down time is ever it. */
    private static final long CLOSED = Long.MIN_VALUE;
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final NatsSettings settings;
    private final Connection connection;
    /** When the connection went down ({@link System#nanoTime()}, odd), 0 while up, {@link #CLOSED} once closed. */
    private final AtomicLong downSince;
    private final AtomicInteger users = new AtomicInteger(1);
    private volatile boolean givenUp;
    private Dispatcher dispatcher;

    private NatsClient(NatsSettings settings, Connection connection, AtomicLong downSince) {
        this.settings = settings;
        this.connection = connection;
        this.downSince = downSince;
    }

    /**
     * Connects to the endpoint's server, retrying a refused connection until {@code waitNanos}
     * has passed.
     *
     * @param s         the settings
     * @param call      the API call, for messages
     * @param waitNanos how long to keep trying; 0 for one attempt
     * @return the client, used once
     * @throws AuthenticationException if the server refused the token or credentials
     * @throws IOException             if no server answered in time, naming the endpoint, the
     *                                 server and the time waited
     */
    static NatsClient open(NatsSettings s, String call, long waitNanos) throws IOException {
        AtomicLong downSince = new AtomicLong();
        AtomicReference<Exception> problem = new AtomicReference<>();
        // jnats reads the file at each attempt and reports a failure as no server answering.
        if (s.creds() != null && !java.nio.file.Files.isReadable(s.creds())) {
            throw new IOException(s.name() + ": " + call + ": cannot read the credentials file " + s.creds()
                    + (java.nio.file.Files.exists(s.creds()) ? " (no permission)" : " (no such file)"));
        }
        long start = System.nanoTime();
        Options options = options(s, downSince, problem, waitNanos);
        while (true) {
            try {
                return new NatsClient(s, Nats.connect(options), downSince);
            } catch (io.nats.client.AuthenticationException e) {
                throw new AuthenticationException(s.name() + ": " + call + ": the NATS server at " + s.host() + ":"
                        + s.port() + " refused " + (s.token() != null ? "the token" : s.creds() != null
                        ? "the credentials" : "a client without credentials (add ?token= or ?creds=)")
                        + ": " + e.getMessage(), e);
            } catch (IOException e) {
                SSLException tls = tlsFailure(e, problem.get());
                if (tls != null) {
                    // Trying again would fail the same way until the time-out, and hide why.
                    throw new IOException(s.name() + ": " + call + ": TLS with the NATS server at " + s.host() + ":"
                            + s.port() + " failed: " + tls.getMessage(), tls);
                }
                long waited = System.nanoTime() - start;
                if (waited + PAUSE_NANOS >= waitNanos) {
                    throw new IOException(s.name() + ": " + call + ": no NATS server answered at " + s.host() + ":"
                            + s.port() + " after waiting " + Timeouts.text(Duration.ofNanos(waited)) + " ("
                            + e.getMessage() + ")", e);
                }
                pause(s.name(), call);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(s.name() + ": " + call + ": interrupted");
            }
        }
    }

    /** @return the TLS failure behind a failed connect, as jnats threw or reported it, or {@code null} */
    private static SSLException tlsFailure(Exception thrown, Exception reported) {
        for (Exception e : new Exception[] {thrown, reported}) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SSLException tls) {
                    return tls;
                }
            }
        }
        return null;
    }

    private static Options options(NatsSettings s, AtomicLong downSince, AtomicReference<Exception> problem,
                                   long waitNanos) throws IOException {
        Options.Builder b = new Options.Builder()
                .server(s.serverUrl())
                .connectionName("conduit " + s.name())
                .connectionTimeout(waitNanos > 0 && waitNanos < ATTEMPT.toNanos() ? Duration.ofNanos(waitNanos) : ATTEMPT)
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(250))
                .errorListener(new ErrorListener() {
                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                        problem.set(exp);
                    }
                })
                .connectionListener(downTracker(downSince));
        if (s.token() != null) {
            b.token(s.token().toCharArray());
        }
        if (s.tls()) {
            b.sslContext(NatsTls.context(s));
        }
        if (s.creds() != null) {
            b.authHandler(Nats.credentials(s.creds().toString()));
        }
        return b.build();
    }

    private static ConnectionListener downTracker(AtomicLong downSince) {
        return (conn, event) -> {
            switch (event) {
                case DISCONNECTED -> downSince.compareAndSet(0, System.nanoTime() | 1);
                case RECONNECTED, CONNECTED, RESUBSCRIBED -> downSince.updateAndGet(t -> t == CLOSED ? CLOSED : 0);
                case CLOSED -> downSince.set(CLOSED);
                default -> {
                }
            }
        };
    }

    /**
     * Waits a little before trying again.
     *
     * @param name how messages name the caller
     * @param call the API call
     * @throws InterruptedIOException if interrupted (the flag stays set)
     */
    static void pause(String name, String call) throws InterruptedIOException {
        try {
            Thread.sleep(Duration.ofNanos(PAUSE_NANOS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name + ": " + call + ": interrupted");
        }
    }

    /** @return the jnats connection */
    Connection connection() {
        return connection;
    }

    /** @return how long a lost server connection is waited for, in nanoseconds */
    long serverDownNanos() {
        return settings.serverDownNanos();
    }

    /** @return the longest message the server takes (its {@code max_payload}) */
    long maxPayload() {
        return connection.getMaxPayload();
    }

    /**
     * Throws if the server connection is closed, or has been down for longer than
     * {@code ?serverDownTimeout=}, closing it then.
     *
     * @param name how messages name the caller
     * @param call the API call
     * @throws ConnectionDownException if the connection is given up
     */
    void checkUp(String name, String call) throws ConnectionDownException {
        long since = downSince.get();
        if (since != 0 && since != CLOSED && System.nanoTime() - since > settings.serverDownNanos() && !givenUp) {
            givenUp = true;
            closeQuietly();
        }
        // The listener's CLOSED rather than getStatus(), which takes a lock on every send.
        if (givenUp || since == CLOSED) {
            throw new ConnectionDownException(name + ": " + call + ": the connection to the NATS server at "
                    + settings.host() + ":" + settings.port() + " was lost and not regained within "
                    + Timeouts.text(Duration.ofNanos(settings.serverDownNanos())) + " (?serverDownTimeout=)", null);
        }
    }

    /**
     * Waits for a subscription's next message, in slices so a given-up server connection ends
     * the wait.
     *
     * @param sub       the subscription
     * @param waitNanos -1 for as long as it takes, 0 for no wait, or the most to wait
     * @param name      how messages name the caller
     * @param call      the API call
     * @return the message, or {@code null} if none came in time
     * @throws ConnectionDownException if the server connection is given up (the only
     *                                 {@link IOException})
     * @throws InterruptedException    if the wait was interrupted
     * @throws IllegalStateException   if the subscription ended (unsubscribed, or its connection
     *                                 closed)
     */
    Message next(Subscription sub, long waitNanos, String name, String call) throws IOException,
            InterruptedException {
        if (waitNanos == 0) {
            checkUp(name, call);
            if (!sub.isActive()) {
                throw new IllegalStateException("the subscription has ended");
            }
            // jnats' timed wait costs tens of microseconds even when there is nothing to wait for.
            return sub.getPendingMessageCount() == 0 ? null : sub.nextMessage(Duration.ofNanos(1));
        }
        return inSlices(waitNanos, nanos -> {
            checkUp(name, call);
            // A zero Duration would be jnats' "for ever".
            return sub.nextMessage(nanos == SLICE_NANOS ? SLICE : Duration.ofNanos(Math.max(1, nanos)));
        });
    }

    /** One bounded wait of {@link #inSlices}. */
    @FunctionalInterface
    interface Slice<T> {
        /**
         * @param nanos the most to wait, at most {@link #SLICE_NANOS}; 0 for no wait
         * @return what came, or {@code null} if nothing did in time
         */
        T await(long nanos) throws IOException, InterruptedException;
    }

    /**
     * Waits for what {@code slice} gives, in waits of at most {@link #SLICE_NANOS}: jnats' own
     * waits do not end when Conduit gives a server connection up or the caller closes, so each
     * slice begins by looking (its own checks: {@link #checkUp}, a local close).
     *
     * @param waitNanos -1 for as long as it takes, or the most to wait (0: one slice of none)
     * @param slice     one wait
     * @return what came, or {@code null} if nothing did in time
     * @throws IOException          as the slice throws
     * @throws InterruptedException as the slice throws
     */
    static <T> T inSlices(long waitNanos, Slice<T> slice) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + waitNanos;
        while (true) {
            long left = waitNanos < 0 ? SLICE_NANOS : deadline - System.nanoTime();
            T got = slice.await(Math.max(0, Math.min(left, SLICE_NANOS)));
            if (got != null || waitNanos >= 0 && deadline - System.nanoTime() <= 0) {
                return got;
            }
        }
    }

    /**
     * Waits until the server has everything published on this connection so far (a PING
     * answered), so that a closing sender loses nothing jnats still held; gives up quietly
     * after {@value #FLUSH_SECONDS} s or if the server is gone, as nothing more can be done.
     */
    void flushQuietly() {
        try {
            if (connection.getStatus() == Connection.Status.CONNECTED) {
                connection.flush(Duration.ofSeconds(FLUSH_SECONDS));
            }
        } catch (java.util.concurrent.TimeoutException | IllegalStateException e) {
            // The server went away during close: what it did not take is lost, as NATS allows.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the dispatcher for this connection's small asynchronous subscriptions, made on first use */
    synchronized Dispatcher dispatcher() {
        if (dispatcher == null) {
            dispatcher = connection.createDispatcher();
        }
        return dispatcher;
    }

    /**
     * What a receive that jnats failed should throw: the local close if there was one, else the
     * given-up server connection, else the failure itself, named.
     *
     * @param failure     what jnats threw ({@link IllegalStateException}: the subscription or
     *                    the connection ended), or the {@link ConnectionDownException} of
     *                    {@link #checkUp}
     * @param name        how messages name the caller
     * @param call        the API call
     * @param localClose  the caller's closed-locally exception if it was closed, else {@code null}
     * @return the exception to throw
     */
    IOException receiveFailure(Exception failure, String name, String call, ConnectionClosedException localClose) {
        if (localClose != null) {
            return localClose;
        }
        if (failure instanceof ConnectionDownException down) {
            return down;
        }
        try {
            checkUp(name, call);
        } catch (ConnectionDownException down) {
            return down;
        }
        return new IOException(name + ": " + call + ": " + failure.getMessage(), failure);
    }

    /** Counts one more user; {@link #release()} once each. */
    void retain() {
        users.incrementAndGet();
    }

    /** Ends one use; the last closes the jnats connection. */
    void release() {
        if (users.decrementAndGet() == 0) {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
