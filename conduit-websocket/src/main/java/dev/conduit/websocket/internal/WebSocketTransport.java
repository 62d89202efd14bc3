package dev.conduit.websocket.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Backoff;
import dev.conduit.spi.TransportProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ws://HOST:PORT/PATH} and {@code wss://…}: WebSocket on Netty, one WebSocket message per
 * Conduit message, found by Conduit through {@link java.util.ServiceLoader}. Options: see
 * {@link WsSettings}.
 */
public final class WebSocketTransport implements TransportProvider {
    /** How long a handshake may take after the TCP connection, even with a shorter time-out. */
    private static final long MIN_HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Above this much queued for the socket, the channel is not writable and senders wait. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    @Override
    public Set<String> schemes() {
        return Set.of("ws", "wss");
    }

    @Override
    public Set<String> optionNames() {
        return WsSettings.NAMES;
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        WsSettings s = WsSettings.of(endpoint);
        if (s.trustStore() != null) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': trustStore is for clients");
        }
        SslContext tls = Tls.server(s);
        WebSocketListener listener = new WebSocketListener(s.name());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(Loops.GROUP)
                .channel(Loops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        Pipelines.server(channel.pipeline(), s, tls,
                                new FrameHandler(s, listener::opened, e -> { }));
                    }
                });
        ChannelFuture bound = bootstrap.bind(s.host(), s.port()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IOException(s.name() + ": listen: cannot bind " + s.host() + ":" + s.port() + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        int port = ((InetSocketAddress) bound.channel().localAddress()).getPort();
        Endpoint actual = s.port() == port ? endpoint : endpoint.withAddress(endpoint.address()
                .replaceFirst(":0(?=/|$)", ":" + port));
        listener.bound(actual, bound.channel());
        return listener;
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        WsSettings s = WsSettings.of(endpoint);
        if (s.cert() != null || s.key() != null || s.keyStore() != null || !s.origins().isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': cert, key, keyStore and origins are for"
                    + " listeners");
        }
        SslContext tls = Tls.client(s);
        long waitNanos = AbstractConnection.toWaitNanos(timeout);
        long deadline = System.nanoTime() + waitNanos;
        Backoff backoff = new Backoff(waitNanos);
        while (true) {
            CompletableFuture<WebSocketConnection> open = new CompletableFuture<>();
            Bootstrap bootstrap = new Bootstrap()
                    .group(Loops.GROUP)
                    .channel(Loops.channel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.clamp(TimeUnit.NANOSECONDS.toMillis(
                            waitNanos), 1000, 30_000))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            Pipelines.client(channel.pipeline(), s, tls, new FrameHandler(s, open::complete,
                                    open::completeExceptionally));
                        }
                    });
            ChannelFuture connected = bootstrap.connect(s.host(), s.port()).awaitUninterruptibly();
            if (!connected.isSuccess()) {
                if (!(connected.cause() instanceof ConnectException) || !backoff.pause(s.name() + ": connect")) {
                    throw new IOException(s.name() + ": connect: " + (connected.cause() instanceof ConnectException
                            ? "no listener at " + s.host() + ":" + s.port() + (waitNanos > 0 ? " after waiting "
                            + AbstractConnection.text(timeout) : "") : connected.cause().getMessage()),
                            connected.cause());
                }
                continue;
            }
            return handshake(s, open, connected.channel(), Math.max(MIN_HANDSHAKE_NANOS, deadline - System.nanoTime()));
        }
    }

    private static Connection handshake(WsSettings s, CompletableFuture<WebSocketConnection> open, Channel channel,
            long waitNanos) throws IOException {
        try {
            return open.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            channel.close();
            throw refused(s, e.getCause());
        } catch (TimeoutException e) {
            channel.close();
            throw new IOException(s.name() + ": connect: the WebSocket handshake did not finish within "
                    + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms", e);
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(s.name() + ": connect: interrupted");
        }
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
