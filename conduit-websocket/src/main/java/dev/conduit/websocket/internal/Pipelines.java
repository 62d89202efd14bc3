package dev.conduit.websocket.internal;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketClientCompressionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.ssl.SslContext;

import java.util.concurrent.TimeUnit;

/** The handlers of a WebSocket connection's pipeline, server side and client side, in order. */
final class Pipelines {
    /** Largest HTTP request or response of a handshake. */
    private static final int HANDSHAKE_BYTES = 64 * 1024;
    private static final long HANDSHAKE_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(10);
    /**
     * After sending a close frame, how long to wait for the peer's before closing the socket:
     * closing at once, with the peer's last frames unread, makes the kernel reset the connection,
     * and the peer loses the close frame (a browser then reports 1006).
     */
    private static final long CLOSE_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(2);

    private Pipelines() {
    }

    /**
     * TLS, HTTP, the access gate, the handshake, message reassembly, then {@code last}; the
     * meter watches the bytes after TLS and the fragments before reassembly.
     *
     * @param peer the client's address, for the log of refused requests
     */
    static void server(ChannelPipeline p, WsSettings s, SslContext tls, String peer, MessageMeter meter,
            FrameHandler last) {
        if (tls != null) {
            p.addLast(tls.newHandler(p.channel().alloc()));
        }
        p.addLast(meter.input());
        p.addLast(new HttpServerCodec());
        p.addLast(new HttpObjectAggregator(HANDSHAKE_BYTES));
        p.addLast(new AccessHandler(s, peer));
        if (s.compress()) {
            p.addLast(new WebSocketServerCompressionHandler(s.maxFrame()));
        }
        p.addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(s.path())
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS)
                .forceCloseTimeoutMillis(CLOSE_WAIT_MILLIS)
                .handleCloseFrames(false)
                .dropPongFrames(false)
                .allowExtensions(s.compress())
                .decoderConfig(decoder(s, true))
                // Close frames are sent only where a close is meant (WebSocketConnection, FrameHandler,
                // Netty's decoder on a protocol error): one sent on every close of the pipeline would
                // follow the decoder's, and RFC 6455 allows nothing after a close frame.
                .sendCloseFrame(null)
                .build()));
        p.addLast(meter.fragments());
        p.addLast(new WebSocketFrameAggregator(s.maxFrame()));
        p.addLast(last);
    }

    /** TLS, HTTP, the handshake (with the token as a bearer header), reassembly, then {@code last}; metered as a server's. */
    static void client(ChannelPipeline p, WsSettings s, SslContext tls, MessageMeter meter, FrameHandler last) {
        if (tls != null) {
            p.addLast(Tls.clientHandler(tls, p.channel().alloc(), s.host(), s.port()));
        }
        p.addLast(meter.input());
        p.addLast(new HttpClientCodec());
        p.addLast(new HttpObjectAggregator(HANDSHAKE_BYTES));
        if (s.compress()) {
            p.addLast(new WebSocketClientCompressionHandler(s.maxFrame()));
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        if (s.token() != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + s.token());
        }
        p.addLast(new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(s.requestUri())
                .customHeaders(headers)
                .allowExtensions(s.compress())
                .maxFramePayloadLength(frameLimit(s))
                .handshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS)
                .forceCloseTimeoutMillis(CLOSE_WAIT_MILLIS)
                .handleCloseFrames(false)
                .dropPongFrames(false)
                // A program is not a web page: it sends no Origin, which listeners let through.
                .generateOriginHeader(false)
                // As on the server: only the close frames meant are sent.
                .sendCloseFrame(null)
                .build()));
        p.addLast(meter.fragments());
        p.addLast(new WebSocketFrameAggregator(s.maxFrame()));
        p.addLast(last);
    }

    private static WebSocketDecoderConfig decoder(WsSettings s, boolean server) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(frameLimit(s))
                .expectMaskedFrames(server)
                .allowExtensions(s.compress())
                .closeOnProtocolViolation(true)
                .build();
    }

    /** One frame may be the whole message; Netty refuses a frame of length 0 as a limit. */
    private static int frameLimit(WsSettings s) {
        return Math.max(1, s.maxFrame());
    }
}
