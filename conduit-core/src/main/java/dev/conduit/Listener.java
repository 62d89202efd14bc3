package dev.conduit;

import dev.conduit.internal.Serving;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Accepts connections at an endpoint, any number over its life. {@code accept} may be called
 * from several threads; each connection goes to exactly one caller.
 */
public interface Listener extends AutoCloseable {
    /**
     * Blocks until a client connects (a peer refused by the endpoint's access rules is closed
     * and never returned).
     *
     * @return the new connection
     * @throws ConnectionClosedException if the listener is closed, before or during the wait
     * @throws IOException               for other transport failures
     */
    Connection accept() throws IOException;

    /**
     * Waits at most {@code timeout} for a client.
     *
     * @param timeout how long to wait; zero or negative means only take a client already
     *                waiting
     * @return the new connection, or {@code null} if none connected in time
     * @throws IOException as {@link #accept()}
     */
    Connection accept(Duration timeout) throws IOException;

    /**
     * The endpoint this listener accepts at. Never blocks; any thread may call it.
     *
     * @return the endpoint clients connect to, with a chosen port or resolved path filled in
     *         (for {@code tcp://host:0}, the port the system picked)
     */
    Endpoint endpoint();

    /**
     * Reads this listener's counters: connections accepted, peers refused, failed handshakes.
     * Never blocks; any thread may call it, at any time, also after close.
     *
     * @return a recent value of each counter (not a consistent snapshot across counters); all
     *         zero for a listener that keeps no counters
     */
    default ListenerCounters counters() {
        return ListenerCounters.ZERO;
    }

    /**
     * Subscribes to what happens at this listener: each connection it hands out
     * ({@link ConnectionEvent.Connected}) and each client dropped because its handshake failed
     * ({@link ConnectionEvent.HandshakeRefused}). Never blocks; any thread. Events come on the
     * thread that accepted or ran the handshake (see {@link ConnectionEvent}).
     *
     * @param subscriber told of each event from now on, until the subscription is closed
     * @return the subscription; a listener that reports nothing (one of a transport outside
     *         Conduit, or {@code ws://}) never tells it anything
     */
    default Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return () -> { };
    }

    /**
     * Stops accepting and removes any socket file this listener created. Connections already
     * accepted stay open. Idempotent; blocked {@code accept} calls end with
     * {@link ConnectionClosedException}.
     *
     * @throws IOException if removing resources failed; the listener is closed all the same
     */
    @Override
    void close() throws IOException;

    /**
     * Serves this listener: accepts forever on a virtual thread of its own, and runs
     * {@code handler} for each connection on a new virtual thread. From this call on the
     * returned {@link Server} owns this listener and closes it in {@link Server#close()}; do not
     * call {@code accept} or {@code close} on it yourself. Never blocks.
     *
     * <p>A handler that throws ends only its own connection, which is closed; the exception goes
     * to {@code onFailure} unless it is a {@link ConnectionClosedException} (the peer closed or
     * died). A failing {@code accept} (other than the listener being closed) goes to
     * {@code onFailure} with this listener's endpoint, and accepting goes on after a pause of up
     * to 50 ms.
     *
     * <pre>{@code
     * Server server = Conduit.listen("unix:/tmp/echo.sock").serve(connection -> {
     *     while (true) {
     *         connection.send(connection.receive());   // ends with ConnectionClosedException
     *     }
     * }, Duration.ofSeconds(5), (endpoint, failure) -> log.warn(endpoint + ": " + failure));
     * ...
     * server.close();   // stop accepting; handlers get 5 s, then their connections are closed
     * }</pre>
     *
     * @param handler   serves one connection; called on that connection's thread
     * @param grace     how long {@link Server#close()} lets running handlers go on before it
     *                  closes their connections; zero closes them at once
     * @param onFailure called with the failing connection's endpoint (or this listener's, for an
     *                  accept) and what failed, on the thread that failed; what it throws is
     *                  passed to that thread's uncaught-exception handler, and serving goes on
     * @return the server, already accepting
     * @throws IllegalArgumentException if {@code grace} is negative
     * @throws NullPointerException     if an argument is {@code null}
     */
    default Server serve(ConnectionHandler handler, Duration grace,
            BiConsumer<? super Endpoint, ? super Throwable> onFailure) {
        return Serving.start(this, handler, grace, onFailure);
    }
}
