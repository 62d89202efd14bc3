package dev.conduit.internal.tcp;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.socket.ReceiveLimits;
import dev.conduit.internal.socket.SocketConnection;
import dev.conduit.internal.socket.SocketListener;
import dev.conduit.internal.socket.Sockets;
import dev.conduit.spi.TransportProvider;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code tcp://HOST:PORT}: TCP with {@code TCP_NODELAY}; port 0 lets the listener pick one; frames,
 * or lines or raw bytes with {@code ?framing=}.
 */
public final class TcpTransport implements TransportProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("tcp");
    }

    @Override
    public Set<String> optionNames() {
        Set<String> names = new HashSet<>(Set.of(Options.MAX_FRAME, Options.SPIN, Framing.OPTION));
        names.addAll(ReceiveLimits.OPTIONS);
        return Set.copyOf(names);
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        Framing framing = Framing.of(endpoint);
        ReceiveLimits limits = ReceiveLimits.forListener(endpoint, true);
        InetSocketAddress address = address(endpoint);
        ServerSocketChannel server = ServerSocketChannel.open();
        Endpoint resolved;
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, Sockets.BACKLOG);
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            resolved = endpoint.withAddress(host(endpoint) + ":" + port);
        } catch (IOException e) {
            server.close();
            throw new IOException(endpoint + ": listen: cannot bind " + address + ": " + e.getMessage(), e);
        }
        return new SocketListener(resolved, server, channel -> {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return new SocketConnection(resolved, channel, maxFrame, spin, null, framing, limits);
        }, () -> { });
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        Framing framing = Framing.of(endpoint);
        ReceiveLimits limits = ReceiveLimits.forClient(endpoint);
        InetSocketAddress address = address(endpoint);
        SocketChannel channel;
        try {
            channel = Sockets.connect(null, address, AbstractConnection.toWaitNanos(timeout));
        } catch (IOException e) {
            throw new IOException(endpoint + ": connect: no listener at " + address + " (" + e.getMessage() + ")"
                    + (timeout.isZero() ? "" : " after waiting " + AbstractConnection.text(timeout)), e);
        }
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return new SocketConnection(endpoint, channel, maxFrame, spin, null, framing, limits);
    }

    private static String host(Endpoint endpoint) {
        return endpoint.address().substring(0, endpoint.address().lastIndexOf(':'));
    }

    private static InetSocketAddress address(Endpoint endpoint) throws IOException {
        String host = host(endpoint);
        int port = Integer.parseInt(endpoint.address().substring(host.length() + 1));
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        InetSocketAddress address = new InetSocketAddress(bare, port);
        if (address.isUnresolved()) {
            throw new IOException(endpoint + ": cannot resolve host " + bare);
        }
        return address;
    }
}
