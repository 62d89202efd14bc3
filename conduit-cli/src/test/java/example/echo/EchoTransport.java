package example.echo;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.spi.TransportProvider;
import dev.conduit.spi.support.EndpointOptions;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A test-only transport from outside {@code dev.conduit}: {@code echo:NAME} pairs connections in
 * this JVM (named for the echo servers the tests run over it), and {@code echoq:NAME} is a
 * one-way queue in this JVM (a receiver, then any senders). Registered in
 * {@code META-INF/services/dev.conduit.spi.TransportProvider}, built only on exported API.
 */
public final class EchoTransport implements TransportProvider {
    /** Bytes a direction holds before {@code send} waits. */
    private static final long CAPACITY = 4 << 20;
    private static final Map<String, EchoListener> LISTENERS = new ConcurrentHashMap<>();
    private static final Map<String, Pipe> QUEUES = new ConcurrentHashMap<>();

    /** For {@link java.util.ServiceLoader}. */
    public EchoTransport() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("echo", "echoq");
    }

    @Override
    public Set<String> oneWaySchemes() {
        return Set.of("echoq");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(EndpointOptions.MAX_FRAME);
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        EchoListener listener = new EchoListener(endpoint, () -> LISTENERS.remove(endpoint.address()));
        if (LISTENERS.putIfAbsent(endpoint.address(), listener) != null) {
            throw new BindException(endpoint.redacted() + ": listen: address already in use in this JVM");
        }
        return listener;
    }

    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        Pipe queue = new Pipe(CAPACITY);
        if (QUEUES.putIfAbsent(endpoint.address(), queue) != null) {
            throw new BindException(endpoint.redacted() + ": openReceiver: a receiver is open in this JVM");
        }
        Pipe none = new Pipe(0);
        none.closeReader();
        return new EchoConnection(endpoint, EndpointOptions.maxFrame(endpoint), queue, none) {
            @Override
            protected void closeTransport() {
                super.closeTransport();
                QUEUES.remove(endpoint.address(), queue);
            }
        };
    }

    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        Pipe queue = QUEUES.get(endpoint.address());
        if (queue == null) {
            throw new ConnectException(endpoint.redacted() + ": openSender: no receiver");
        }
        Pipe none = new Pipe(0);
        none.closeWriter();
        return new EchoConnection(endpoint, EndpointOptions.maxFrame(endpoint), none, queue);
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EchoListener listener = LISTENERS.get(endpoint.address());
            if (listener != null) {
                Pipe up = new Pipe(CAPACITY);
                Pipe down = new Pipe(CAPACITY);
                EchoConnection server = new EchoConnection(listener.endpoint(),
                        EndpointOptions.maxFrame(listener.endpoint()), up, down);
                if (listener.offer(server)) {
                    return new EchoConnection(endpoint, EndpointOptions.maxFrame(endpoint), down, up);
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new ConnectException(endpoint.redacted() + ": connect: no listener");
            }
            try {
                TimeUnit.MILLISECONDS.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(endpoint.redacted() + ": connect: interrupted");
            }
        }
    }
}
