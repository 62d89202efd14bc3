package dev.conduit.websocket.internal;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * The last handler of a connection's pipeline, run by whichever thread drives it (under the
 * connection's pipeline lock): tells the {@link WebSocketConnection} when the handshake is
 * done, hands it whole messages, answers the peer's close frame, and turns errors into the
 * connection's end.
 */
final class FrameHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    private final WsSettings settings;
    private final WebSocketConnection connection;
    private final String peer;
    private final MessageMeter meter;
    private final boolean server;
    private boolean open;

    /**
     * @param peer   the peer's address, for the log
     * @param meter  what counts the partial messages, started once the handshake is done
     * @param server whether this is the server's side, whose peer masks its frames
     */
    FrameHandler(WsSettings settings, WebSocketConnection connection, String peer, MessageMeter meter, boolean server) {
        this.settings = settings;
        this.connection = connection;
        this.peer = peer;
        this.meter = meter;
        this.server = server;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete
                || event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            open = true;
            // A message split across reads is gathered without copying what came first.
            if (ctx.pipeline().get(WebSocketFrameDecoder.class) instanceof ByteToMessageDecoder decoder) {
                decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
            }
            meter.start(ctx.pipeline(), ctx.pipeline().context(WebSocketFrameDecoder.class).name(), server);
            connection.opened();
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        try {
            if (open && (message instanceof BinaryWebSocketFrame || message instanceof TextWebSocketFrame)) {
                connection.deliver(((WebSocketFrame) message).retain());
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
        connection.ended(new ConnectionClosedException("connection closed by peer (close code "
                + close.statusCode() + (close.reasonText().isEmpty() ? "" : ", " + close.reasonText()) + ")"));
        if (connection.closeSent()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode() < 0 ? WebSocketCloseStatus.NORMAL_CLOSURE.code()
                : close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!open) {
            connection.refused(cause);
            ctx.close();
            return;
        }
        boolean tooLong = cause instanceof TooLongFrameException || cause instanceof CorruptedWebSocketFrameException c
                && c.closeStatus() != null && c.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
        if (tooLong) {
            LOG.log(System.Logger.Level.INFO, "{0}: {1} sent a message above maxFrame ({2} bytes); closed with"
                    + " code 1009", settings.name(), peer, Integer.toString(settings.maxFrame()));
            // The length is not known here, only that it is more than maxFrame.
            connection.ended(new FrameTooLongException(settings.name() + ": receive", settings.maxFrame() + 1L,
                    settings.maxFrame()));
            if (ctx.channel().isOpen()) {
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.MESSAGE_TOO_BIG))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        // Netty's decoder has sent its close frame (1002, 1007) already, if the error was the
        // peer's; closing sends none (Pipelines): RFC 6455 allows nothing after a close frame.
        if (cause instanceof CorruptedWebSocketFrameException) {
            LOG.log(System.Logger.Level.WARNING, "{0}: protocol error from {1}: {2}; closed", settings.name(), peer,
                    cause.getMessage());
        } else {
            LOG.log(System.Logger.Level.WARNING, "{0}: connection with {1} failed: {2}", settings.name(), peer,
                    cause.toString());
        }
        connection.ended(new IOException("connection failed: " + cause, cause));
        ctx.close();
    }
}
