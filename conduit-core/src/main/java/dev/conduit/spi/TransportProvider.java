package dev.conduit.spi;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;

/**
 * A transport, found by {@link java.util.ServiceLoader}: it serves the endpoint schemes it
 * names. Conduit checks an endpoint's option names against {@link #optionNames()} before
 * calling {@link #listen} or {@link #connect}, so implementations see only names they know.
 * Implementations must be thread-safe.
 */
public interface TransportProvider {
    /**
     * Names the schemes this transport serves. Conduit asks once, when it first looks for a
     * transport; a scheme a built-in transport or an earlier-found provider serves stays theirs.
     *
     * @return the schemes served, in lower case (an endpoint's scheme is matched in lower case),
     *         e.g. {@code ws} and {@code wss}
     */
    Set<String> schemes();

    /**
     * Names those of {@link #schemes()} that carry messages one way: Conduit opens their
     * endpoints with {@link #openSender} and {@link #openReceiver}, and refuses
     * {@link #listen} and {@link #connect} for them (and the reverse for the other schemes).
     * Asked once, with {@link #schemes()}. The default, for two-way transports, names none.
     *
     * @return the one-way schemes, in lower case; a subset of {@link #schemes()}
     */
    default Set<String> oneWaySchemes() {
        return Set.of();
    }

    /**
     * Names the endpoint options this transport accepts; Conduit refuses an endpoint with any
     * other option (an {@link IllegalArgumentException} naming it) before calling this
     * provider. Called on every use of an endpoint, from any thread, so it should be cheap.
     *
     * @return the option names, case-sensitive, e.g. {@code maxFrame}; empty if none
     */
    Set<String> optionNames();

    /**
     * Starts listening; returns once clients can connect.
     *
     * @param endpoint an endpoint with one of {@link #schemes()}
     * @return the listener
     * @throws IOException if the endpoint cannot be listened on (in use, no permission, ...)
     */
    Listener listen(Endpoint endpoint) throws IOException;

    /**
     * Connects, waiting up to {@code timeout} for a listener to appear and accept.
     *
     * @param endpoint an endpoint with one of {@link #schemes()}
     * @param timeout  how long to keep trying; {@link Duration#ZERO} for one attempt
     * @return the connection
     * @throws IOException if no listener accepted in time, naming the endpoint and the cause
     */
    Connection connect(Endpoint endpoint, Duration timeout) throws IOException;

    /**
     * Opens the sending end of a one-way endpoint ({@link Endpoint#isOneWay()}). Conduit calls
     * it only for those; the default, for two-way transports, refuses.
     *
     * @param endpoint an endpoint with one of {@link #schemes()}
     * @param timeout  how long to wait for what the sender needs (a FIFO's receiver);
     *                 {@link Duration#ZERO} for no wait
     * @return the sender
     * @throws IOException                   if it cannot be opened, naming the endpoint and the
     *                                       cause
     * @throws UnsupportedOperationException by default: the transport carries messages both
     *                                       ways
     */
    default MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        throw new UnsupportedOperationException(endpoint + ": openSender: " + endpoint.scheme()
                + " carries messages both ways: use Conduit.connect");
    }

    /**
     * Opens the receiving end of a one-way endpoint, as {@link #openSender}.
     *
     * @param endpoint an endpoint with one of {@link #schemes()}
     * @return the receiver
     * @throws IOException                   if it cannot be opened, naming the endpoint and the
     *                                       cause
     * @throws UnsupportedOperationException by default: the transport carries messages both
     *                                       ways
     */
    default MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        throw new UnsupportedOperationException(endpoint + ": openReceiver: " + endpoint.scheme()
                + " carries messages both ways: use Conduit.listen");
    }

    /**
     * Names those of {@link #schemes()} whose endpoints open either way: Conduit lets
     * {@link #openSender} and {@link #openReceiver} through for them as well as {@link #listen}
     * and {@link #connect} (a broker's subject can be published to, subscribed to and served).
     * {@link Endpoint#isOneWay()} is {@code false} for them, so tools that pick one kind of call
     * by it use {@link #listen} and {@link #connect}. Asked once, with {@link #schemes()}. The
     * default names none.
     *
     * @return the schemes that open either way, in lower case; a subset of {@link #schemes()},
     *         none of them in {@link #oneWaySchemes()}
     */
    default Set<String> eitherWaySchemes() {
        return Set.of();
    }
}
