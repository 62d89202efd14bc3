package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.spi.TransportProvider;
import dev.conduit.spi.support.ReceiveLimits;
import dev.conduit.spi.support.SocketReadiness;
import dev.conduit.spi.support.Timeouts;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code ws://HOST:PORT/PATH} and {@code wss://…}: WebSocket, one WebSocket message per Conduit
 * message, found by Conduit through {@link java.util.ServiceLoader}. Netty does the protocol;
 * the sockets are Conduit's, and the threads that call do their I/O (see
 * {@link WebSocketConnection}). Options: see {@link WsSettings}.
 */
public final class WebSocketTransport implements TransportProvider {
    /** How long a handshake may take after the TCP connection, even with a shorter time-out. */
    private static final long MIN_HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(WebSocketListener.HANDSHAKE_SECONDS);

    /**
     * Makes the provider; {@link java.util.ServiceLoader} calls this when Conduit first looks for
     * a transport. Holds no state: listeners and connections are made by {@link #listen} and
     * {@link #connect}.
     */
    public WebSocketTransport() {
        // Public and without arguments, as ServiceLoader requires.
    }

    @Override
    public Set<String> schemes() {
        return Set.of("ws", "wss");
    }

    private static final Set<String> OPTION_NAMES = names();

    private static Set<String> names() {
        Set<String> names = new HashSet<>(WsSettings.NAMES);
        names.addAll(ReceiveLimits.OPTIONS);
        return Set.copyOf(names);
    }

    @Override
    public Set<String> optionNames() {
        return OPTION_NAMES;
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        WsSettings s = WsSettings.of(endpoint);
        if (s.trustStore() != null) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': trustStore is for clients");
        }
        // A network listener: a message left unfinished times out after 30 s, as on tcp://.
        ReceiveLimits limits = ReceiveLimits.forListener(endpoint, true);
        SslContext tls = Tls.server(s);
        InetSocketAddress address = address(s, "listen");
        ServerSocketChannel server = ServerSocketChannel.open();
        int port;
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, SocketReadiness.BACKLOG);
            port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            server.close();
            throw new IOException(s.name() + ": listen: cannot bind " + s.host() + ":" + s.port() + ": "
                    + e.getMessage(), e);
        }
        Endpoint actual = s.port() == port ? endpoint : endpoint.withAddress(endpoint.address()
                .replaceFirst(":0(?=/|$)", ":" + port));
        WebSocketListener listener = new WebSocketListener(actual, WsSettings.of(actual), limits, tls, server);
        listener.start();
        return listener;
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        WsSettings s = WsSettings.of(endpoint);
        if (s.cert() != null || s.key() != null || s.keyStore() != null || !s.origins().isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': cert, key, keyStore and origins are for"
                    + " listeners");
        }
        ReceiveLimits limits = ReceiveLimits.forClient(endpoint);
        SslContext tls = Tls.client(s);
        long waitNanos = Timeouts.waitNanos(timeout);
        long deadline = System.nanoTime() + waitNanos;
        SocketChannel socket;
        try {
            socket = SocketReadiness.connect(null, address(s, "connect"), waitNanos);
        } catch (IOException e) {
            throw new IOException(s.name() + ": connect: no listener at " + s.host() + ":" + s.port()
                    + (waitNanos > 0 ? " after waiting " + Timeouts.text(timeout) : ""), e);
        }
        long handshakeNanos = Math.max(MIN_HANDSHAKE_NANOS, deadline - System.nanoTime());
        try {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return WebSocketConnection.connect(s, limits, tls, socket, System.nanoTime() + handshakeNanos);
        } catch (SocketTimeoutException e) {
            throw new IOException(s.name() + ": connect: the WebSocket handshake did not finish within "
                    + TimeUnit.NANOSECONDS.toMillis(handshakeNanos) + " ms", e);
        } catch (IOException e) {
            throw refused(s, e.getCause() != null ? e.getCause() : e);
        }
    }

    private static InetSocketAddress address(WsSettings s, String call) throws IOException {
        InetSocketAddress address = new InetSocketAddress(s.host(), s.port());
        if (address.isUnresolved()) {
            throw new IOException(s.name() + ": " + call + ": cannot resolve host " + s.host());
        }
        return address;
    }

    private static IOException refused(WsSettings s, Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException h && h.response() != null) {
            int status = h.response().status().code();
            String why = switch (status) {
                case 401 -> " (the listener wants a token: add ?token=)";
                case 403 -> " (the listener does not allow this Origin)";
                case 404 -> " (no WebSocket at this path)";
                default -> "";
            };
            return new IOException(s.name() + ": connect: the server refused the WebSocket handshake: HTTP "
                    + h.response().status() + why, cause);
        }
        return new IOException(s.name() + ": connect: " + cause.getMessage(), cause);
    }
}
