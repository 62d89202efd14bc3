package dev.conduit.websocket.internal;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The last handler of a WebSocket channel, on its event loop: makes the
 * {@link WebSocketConnection} once the handshake is done, hands it whole messages, pings the peer
 * and notices when it stops answering, and turns the channel's end and errors into the
 * connection's end.
 */
final class FrameHandler extends ChannelInboundHandlerAdapter {
    private final WsSettings settings;
    private final Consumer<WebSocketConnection> opened;
    private final Consumer<Throwable> failed;
    private WebSocketConnection connection;
    private long lastRead = System.nanoTime();
    private ScheduledFuture<?> pinger;

    /**
     * @param opened told of the connection once the handshake is done
     * @param failed told why, if the channel ends or fails before that
     */
    FrameHandler(WsSettings settings, Consumer<WebSocketConnection> opened, Consumer<Throwable> failed) {
        this.settings = settings;
        this.opened = opened;
        this.failed = failed;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete
                || event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            connection = new WebSocketConnection(settings, ctx.channel());
            lastRead = System.nanoTime();
            if (settings.pingNanos() > 0) {
                pinger = ctx.executor().scheduleAtFixedRate(() -> ping(ctx), settings.pingNanos(),
                        settings.pingNanos(), TimeUnit.NANOSECONDS);
            }
            opened.accept(connection);
        } else if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            failed.accept(new IOException("the server did not complete the WebSocket handshake in time"));
        }
        super.userEventTriggered(ctx, event);
    }

    private void ping(ChannelHandlerContext ctx) {
        long silent = System.nanoTime() - lastRead;
        if (silent > settings.pingTimeoutNanos()) {
            connection.ended(new ConnectionClosedException("connection lost: the peer sent nothing, not even a pong,"
                    + " for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms (pingTimeout "
                    + TimeUnit.NANOSECONDS.toMillis(settings.pingTimeoutNanos()) + " ms)"));
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        lastRead = System.nanoTime();
        try {
            if (connection != null && (message instanceof BinaryWebSocketFrame || message instanceof TextWebSocketFrame)) {
                connection.deliver(ByteBufUtil.getBytes(((ByteBufHolder) message).content()));
            } else if (message instanceof CloseWebSocketFrame close) {
                closeReceived(ctx, close);
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    /**
     * The peer's close frame: the answer to ours, after which the socket closes; or its own,
     * which is answered with the same code first. Either way the peer has read what it wanted,
     * so closing now is clean (closing with its frames unread would reset the connection).
     */
    private void closeReceived(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (connection != null) {
            connection.ended(new ConnectionClosedException("connection closed by peer (close code "
                    + close.statusCode() + (close.reasonText().isEmpty() ? "" : ", " + close.reasonText()) + ")"));
        }
        if (connection != null && connection.closeSent()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode() < 0 ? WebSocketCloseStatus.NORMAL_CLOSURE.code()
                : close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (connection != null) {
            connection.wake();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (pinger != null) {
            pinger.cancel(false);
        }
        if (connection != null) {
            connection.ended(new ConnectionClosedException("connection closed by peer"));
            connection.wake();
        } else {
            failed.accept(new IOException("the connection closed before the WebSocket handshake was done"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        boolean tooLong = cause instanceof TooLongFrameException || cause instanceof CorruptedWebSocketFrameException c
                && c.closeStatus() != null && c.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
        if (connection == null) {
            failed.accept(cause);
            ctx.close();
            return;
        }
        if (tooLong) {
            // The length is not known here, only that it is more than maxFrame.
            connection.ended(new FrameTooLongException(settings.name() + ": receive", settings.maxFrame() + 1L,
                    settings.maxFrame()));
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.MESSAGE_TOO_BIG))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        connection.ended(new IOException("connection failed: " + cause, cause));
        ctx.close();
    }
}
