package dev.conduit.internal.mem;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.Options;
import dev.conduit.internal.QueueConnection;
import dev.conduit.spi.TransportProvider;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code mem:NAME}: connections inside this JVM, with the same semantics as sockets. Each
 * direction is an {@link Inbox} of {@code ?capacity=} bytes (1 MiB by default), so a slow
 * receiver blocks the sender as a full socket would. A receiver polls for its endpoint's
 * {@code ?spin=} before it parks (as {@code shm:} and the sockets do), so an active peer's
 * messages pass without a thread wake-up each.
 */
public final class MemTransport implements TransportProvider {
    private static final String CAPACITY = "capacity";
    private static final long DEFAULT_CAPACITY = 1 << 20;
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final ConcurrentMap<String, MemListener> LISTENERS = new ConcurrentHashMap<>();

    @Override
    public Set<String> schemes() {
        return Set.of("mem");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, CAPACITY, Options.SPIN);
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        MemListener listener = new MemListener(endpoint, Options.maxFrame(endpoint),
                Options.size(endpoint, CAPACITY, DEFAULT_CAPACITY, 1, Long.MAX_VALUE),
                Options.spinNanosInProcess(endpoint));
        if (LISTENERS.putIfAbsent(endpoint.address(), listener) != null) {
            throw new BindException(endpoint + ": listen: address already in use in this JVM");
        }
        return listener;
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + AbstractConnection.toWaitNanos(timeout);
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanosInProcess(endpoint);
        while (true) {
            MemListener listener = LISTENERS.get(endpoint.address());
            if (listener != null) {
                Connection c = listener.connect(endpoint, maxFrame, spin);
                if (c != null) {
                    return c;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException(endpoint + ": connect: no listener in this JVM"
                        + (timeout.isZero() ? "" : " after waiting " + AbstractConnection.text(timeout)));
            }
            LockSupport.parkNanos(RETRY_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(endpoint + ": connect: interrupted");
            }
        }
    }

    /**
     * Pairs two connections through two inboxes; the listener's end waits in its backlog. Each
     * inbox spins as its consumer's endpoint says.
     */
    static QueueConnection[] pair(Endpoint client, Endpoint server, int clientMax, int serverMax, long capacity,
            long clientSpin, long serverSpin) {
        Inbox toServer = new Inbox(server.toString(), capacity, serverSpin);
        Inbox toClient = new Inbox(client.toString(), capacity, clientSpin);
        QueueConnection[] ends = new QueueConnection[2];
        ends[0] = new QueueConnection(client, client.toString(), clientMax, toClient, toServer, () -> { }, false);
        ends[1] = new QueueConnection(server, server.toString(), serverMax, toServer, toClient, () -> { }, false);
        return ends;
    }

    /** Forgets {@code listener}, unless another has taken its name since. */
    static void unregister(MemListener listener) {
        LISTENERS.remove(listener.endpoint().address(), listener);
    }

    /** @return a closed-listener exception for {@code endpoint} */
    static ConnectionClosedException listenerClosed(Endpoint endpoint) {
        return new ConnectionClosedException(endpoint + ": accept: listener closed");
    }
}
