package example.echo;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An {@code echo:} listener: the server ends of pairs its clients made, in arrival order. */
final class EchoListener implements Listener {
    private final Endpoint endpoint;
    private final Runnable onClose;
    private final LinkedBlockingQueue<EchoConnection> arrivals = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    EchoListener(Endpoint endpoint, Runnable onClose) {
        this.endpoint = endpoint;
        this.onClose = onClose;
    }

    boolean offer(EchoConnection server) {
        return !closed && arrivals.offer(server);
    }

    @Override
    public Connection accept() throws IOException {
        Connection c;
        while ((c = accept(Duration.ofSeconds(1))) == null) {
            continue;
        }
        return c;
    }

    @Override
    public Connection accept(Duration timeout) throws IOException {
        if (closed) {
            throw new ConnectionClosedException(endpoint.redacted() + ": accept: listener closed");
        }
        try {
            return arrivals.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(endpoint.redacted() + ": accept: interrupted");
        }
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            onClose.run();
            EchoConnection pending;
            while ((pending = arrivals.poll()) != null) {
                pending.close();
            }
        }
    }
}
