package dev.conduit;

import dev.conduit.internal.Layers;
import dev.conduit.internal.Transports;
import dev.conduit.internal.process.ProcessTransport;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;

/**
 * Entry point: listen, connect, spawn a child to talk to, or talk to a parent over stdio.
 *
 * <pre>{@code
 * try (Listener listener = Conduit.listen("unix:/tmp/app.sock");
 *      Connection peer = listener.accept()) {          // blocks until a client connects
 *     byte[] request = peer.receive();                 // blocks for one whole message
 *     peer.send("pong");                               // UTF-8
 * }
 * }</pre>
 *
 * All methods are thread-safe.
 */
public final class Conduit {
    private Conduit() {
    }

    /**
     * The endpoint schemes this program can use: the built-in transports' and those of every
     * {@link dev.conduit.spi.TransportProvider} found on its class or module path (such as
     * {@code ws} and {@code wss} with conduit-websocket). Does not block once the transports are
     * loaded (the first call to any method of this class loads them); any thread may call it.
     *
     * @return the schemes, in lower case and alphabetical order; unmodifiable
     */
    public static SortedSet<String> schemes() {
        return Transports.schemes();
    }

    /**
     * Starts listening at an endpoint; see {@link Endpoint} for the forms.
     *
     * @param endpoint the endpoint, e.g. {@code unix:/tmp/app.sock} or {@code tcp://127.0.0.1:0}
     * @return the listener, ready for clients
     * @throws IllegalArgumentException        if the endpoint is malformed or has an unknown option
     * @throws TransportUnavailableException   if no transport serves its scheme here
     * @throws IOException                     if the endpoint cannot be listened on
     */
    public static Listener listen(String endpoint) throws IOException {
        return listen(Endpoint.parse(endpoint));
    }

    /**
     * As {@link #listen(String)}.
     *
     * @param endpoint the endpoint
     * @return the listener
     * @throws IOException as {@link #listen(String)}
     */
    public static Listener listen(Endpoint endpoint) throws IOException {
        requireTwoWay(endpoint, "listen", "openReceiver");
        return Layers.listen(endpoint);
    }

    /**
     * Connects to a listener, trying once: blocks only for the connection handshake.
     *
     * @param endpoint the endpoint
     * @return the connection
     * @throws IllegalArgumentException      if the endpoint is malformed or has an unknown option
     * @throws TransportUnavailableException if no transport serves its scheme here
     * @throws AuthenticationException      if the endpoint has {@code ?authkey=} or {@code ?authkeyFile=}
     *                                       and Python's challenge failed: the keys differ, or the
     *                                       listener uses no key
     * @throws IOException                   if no listener accepted, naming the endpoint and cause
     */
    public static Connection connect(String endpoint) throws IOException {
        return connect(Endpoint.parse(endpoint), Duration.ZERO);
    }

    /**
     * As {@link #connect(String)}.
     *
     * @param endpoint the endpoint
     * @return the connection
     * @throws IOException as {@link #connect(String)}
     */
    public static Connection connect(Endpoint endpoint) throws IOException {
        return connect(endpoint, Duration.ZERO);
    }

    /**
     * Connects, waiting up to {@code timeout} for a listener to appear (like a .NET pipe
     * client's {@code Connect(timeout)}).
     *
     * @param endpoint the endpoint
     * @param timeout  how long to keep trying
     * @return the connection
     * @throws IOException as {@link #connect(String)}, once the time-out has passed
     */
    public static Connection connect(String endpoint, Duration timeout) throws IOException {
        return connect(Endpoint.parse(endpoint), timeout);
    }

    /**
     * As {@link #connect(String, Duration)}.
     *
     * @param endpoint the endpoint
     * @param timeout  how long to keep trying; {@link Duration#ZERO} for one attempt
     * @return the connection
     * @throws IOException as {@link #connect(String)}
     */
    public static Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        requireWait(timeout);
        requireTwoWay(endpoint, "connect", "openSender");
        return Layers.connect(endpoint, timeout);
    }

    /**
     * Opens the sending end of a one-way endpoint ({@code fifo:}, {@code mq:}, {@code log:}),
     * without waiting for anything the sender needs: a FIFO with no receiver yet is an error.
     *
     * @param endpoint the endpoint, e.g. {@code fifo:/tmp/app.fifo}
     * @return the sender
     * @throws IllegalArgumentException      if the endpoint is malformed, has an unknown option,
     *                                       or carries messages both ways ({@link #connect})
     * @throws TransportUnavailableException if no transport serves its scheme here
     * @throws IOException                   if it cannot be opened, naming the endpoint and cause
     */
    public static MessageSender openSender(String endpoint) throws IOException {
        return openSender(Endpoint.parse(endpoint), Duration.ZERO);
    }

    /**
     * As {@link #openSender(String)}, waiting up to {@code timeout} for what the sender needs
     * (for {@code fifo:}, a receiver to open the FIFO).
     *
     * @param endpoint the endpoint
     * @param timeout  how long to wait; {@link Duration#ZERO} for no wait
     * @return the sender
     * @throws IOException as {@link #openSender(String)}, once the time-out has passed
     */
    public static MessageSender openSender(String endpoint, Duration timeout) throws IOException {
        return openSender(Endpoint.parse(endpoint), timeout);
    }

    /**
     * As {@link #openSender(String, Duration)}.
     *
     * @param endpoint the endpoint
     * @param timeout  how long to wait; {@link Duration#ZERO} for no wait
     * @return the sender
     * @throws IOException as {@link #openSender(String)}
     */
    public static MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        requireWait(timeout);
        requireOneWay(endpoint, "openSender", "connect");
        return Transports.forEndpoint(endpoint).openSender(endpoint, timeout);
    }

    /**
     * Opens the receiving end of a one-way endpoint ({@code fifo:}, {@code mq:}, {@code log:}).
     * Never waits for a sender.
     *
     * @param endpoint the endpoint, e.g. {@code fifo:/tmp/app.fifo}
     * @return the receiver
     * @throws IllegalArgumentException      if the endpoint is malformed, has an unknown option,
     *                                       or carries messages both ways ({@link #listen})
     * @throws TransportUnavailableException if no transport serves its scheme here
     * @throws IOException                   if it cannot be opened, naming the endpoint and cause
     */
    public static MessageReceiver openReceiver(String endpoint) throws IOException {
        return openReceiver(Endpoint.parse(endpoint));
    }

    /**
     * As {@link #openReceiver(String)}.
     *
     * @param endpoint the endpoint
     * @return the receiver
     * @throws IOException as {@link #openReceiver(String)}
     */
    public static MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        requireOneWay(endpoint, "openReceiver", "listen");
        return Transports.forEndpoint(endpoint).openReceiver(endpoint);
    }

    private static void requireWait(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected >= 0)");
        }
    }

    private static void requireTwoWay(Endpoint endpoint, String call, String instead)
            throws TransportUnavailableException {
        Transports.served(endpoint);
        if (endpoint.isOneWay()) {
            throw new IllegalArgumentException(endpoint.redacted() + ": " + call + ": " + endpoint.scheme()
                    + " carries messages one way: use Conduit." + instead);
        }
    }

    private static void requireOneWay(Endpoint endpoint, String call, String instead)
            throws TransportUnavailableException {
        Transports.served(endpoint);
        if (!endpoint.isOneWay() && !endpoint.opensEitherWay()) {
            throw new IllegalArgumentException(endpoint.redacted() + ": " + call + ": " + endpoint.scheme()
                    + " carries messages both ways: use Conduit." + instead);
        }
    }

    /**
     * Starts a child process and connects to it over its standard input and output, which
     * carry frames both ways; its standard error passes through. See {@link #stdio()} for the
     * child's side when it is a JVM.
     *
     * @param command the program and its arguments
     * @return the connection, which owns the child
     * @throws IOException if the process cannot be started
     */
    public static ProcessConnection spawn(String... command) throws IOException {
        return spawn(new ProcessBuilder(List.of(command)));
    }

    /**
     * As {@link #spawn(String...)}, with the builder's directory and environment. Its
     * redirects of standard input and output are replaced by pipes; standard error is
     * inherited unless the builder redirects it.
     *
     * @param builder the command to start
     * @return the connection, which owns the child
     * @throws IOException if the process cannot be started
     */
    public static ProcessConnection spawn(ProcessBuilder builder) throws IOException {
        return spawn(builder, "stdio");
    }

    /**
     * As {@link #spawn(ProcessBuilder)}, with options for this side of the pipes given as a
     * {@code stdio} endpoint, e.g. {@code "stdio?maxFrame=1m"}, or {@code "stdio?framing=lines"}
     * for a child that reads and prints lines (such as {@code jq -c .}): one message per line,
     * each send written with a {@code \n} after it (see docs/framing.md).
     *
     * @param builder the command to start
     * @param options a {@code stdio} endpoint carrying the options
     * @return the connection, which owns the child
     * @throws IllegalArgumentException if {@code options} is not a valid {@code stdio} endpoint
     * @throws IOException              if the process cannot be started
     */
    public static ProcessConnection spawn(ProcessBuilder builder, String options) throws IOException {
        Endpoint endpoint = Endpoint.parse(options);
        if (!endpoint.scheme().equals("stdio")) {
            throw new IllegalArgumentException("spawn: options must be a stdio endpoint such as"
                    + " stdio?maxFrame=1m, not '"
                    + options + "'");
        }
        Transports.forEndpoint(endpoint);
        return ProcessTransport.spawn(builder, endpoint);
    }

    /**
     * Connects to the parent over this process's standard input and output. From this call
     * on, {@link System#out} prints to standard error, so stray printing cannot corrupt the
     * frames. Writes that bypass {@code System.out} still would: native code writing to file
     * descriptor 1, or a child process started with {@code inheritIO()}; send their output
     * elsewhere. At most one such connection exists per process.
     *
     * @return the connection to the parent
     * @throws IllegalStateException if called a second time
     */
    public static Connection stdio() {
        return ProcessTransport.stdio(Endpoint.parse("stdio"));
    }
}
