package dev.conduit.websocket.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * A listener's gate, before the WebSocket handshake: the request path must be the endpoint's
 * (else 404; a request that is not HTTP gets 400), the bearer token must match if one is set (an {@code Authorization: Bearer}
 * header, or {@code ?token=} for browsers, which cannot set headers; else 401), and a request
 * that carries an {@code Origin} must carry one of the allowed ones, if any are set (else 403).
 * A refused request gets its status and a closed connection, and is never seen by {@code accept}.
 * The token is taken out of the request before the handshake sees it.
 */
final class AccessHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    private final WsSettings settings;
    private final String peer;

    /** @param peer the client's address, for the log */
    AccessHandler(WsSettings settings, String peer) {
        this.settings = settings;
        this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (!(message instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(message);
            return;
        }
        if (request.decoderResult().isFailure()) {
            // Not HTTP at all (a TLS client, a port scan): Netty names it "/bad-request", which is no 404.
            LOG.log(System.Logger.Level.INFO, "{0}: not an HTTP request from {1}: {2}; answered 400 Bad Request",
                    settings.name(), peer, String.valueOf(request.decoderResult().cause()));
            refuse(ctx, request, HttpResponseStatus.BAD_REQUEST);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        HttpResponseStatus refusal = null;
        if (!uri.path().equals(settings.path())) {
            refusal = HttpResponseStatus.NOT_FOUND;
        } else if (settings.token() != null && !tokenMatches(request, uri)) {
            refusal = HttpResponseStatus.UNAUTHORIZED;
        } else if (!settings.origins().isEmpty() && request.headers().contains(HttpHeaderNames.ORIGIN)
                && !settings.origins().contains(request.headers().get(HttpHeaderNames.ORIGIN))) {
            refusal = HttpResponseStatus.FORBIDDEN;
        }
        if (refusal != null) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: refused {1} from {2}: {3}", settings.name(), uri.path(),
                    peer, refusal);
            refuse(ctx, request, refusal);
            return;
        }
        request.setUri(settings.path());
        ctx.fireChannelRead(request);
    }

    /** Answers {@code request} with {@code refusal} and closes once the answer is out. */
    private static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus refusal) {
        ReferenceCountUtil.release(request);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, refusal,
                Unpooled.copiedBuffer(refusal + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        if (refusal == HttpResponseStatus.UNAUTHORIZED) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private boolean tokenMatches(FullHttpRequest request, QueryStringDecoder uri) {
        byte[] expected = settings.token().getBytes(StandardCharsets.UTF_8);
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                && MessageDigest.isEqual(expected, header.substring(7).strip().getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        List<String> query = uri.parameters().get(WsSettings.TOKEN);
        return query != null && query.stream().anyMatch(t -> MessageDigest.isEqual(expected,
                t.getBytes(StandardCharsets.UTF_8)));
    }
}
