package dev.conduit.websocket.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * What a connection's pipeline holds of messages not yet complete, watched from outside Netty's
 * handlers (which do not say): the bytes its frame decoder has gathered of a frame not yet whole
 * (bytes in before it, less the frames that came out), and the fragments its aggregator has kept
 * of a message whose last fragment has not come. Three pass-through handlers observe; the
 * {@link WebSocketConnection} reads the figures after each run of the pipeline. Under the
 * connection's pipeline lock, like the pipeline.
 */
final class MessageMeter {
    /**
     * What each read gathered into a partial frame costs beyond its bytes: the decoder keeps each
     * as a pooled buffer in a composite (a 1-byte read takes a 16-byte slot and two objects), so a
     * peer trickling bytes holds far more than it sent.
     */
    static final int CHUNK_CHARGE = 128;

    /** Bytes in the frame decoder not yet out as frames. */
    private long undecoded;
    /** Reads that brought those bytes. */
    private long chunks;
    /** The earlier fragments of a message not yet complete, as the aggregator keeps them. */
    private long fragments;
    private boolean counting;
    /** Since {@link #takeActivity()}: data frame bytes came (whole or in part). */
    private boolean active;
    /** Since {@link #takeCompleted()}: a message was completed. */
    private boolean completed;

    /** @return the handler that sees the bytes going into the frame decoder: after TLS, before HTTP */
    ChannelHandler input() {
        return new Observer() {
            @Override
            void observe(Object message) {
                if (counting && message instanceof ByteBuf bytes && bytes.isReadable()) {
                    undecoded += bytes.readableBytes();
                    chunks++;
                }
            }
        };
    }

    /** @return the handler that sees what reaches the aggregator: fragments, after any inflating */
    ChannelHandler fragments() {
        return new Observer() {
            @Override
            void observe(Object message) {
                if (message instanceof BinaryWebSocketFrame || message instanceof TextWebSocketFrame
                        || message instanceof ContinuationWebSocketFrame) {
                    WebSocketFrame frame = (WebSocketFrame) message;
                    if (frame.isFinalFragment()) {
                        fragments = 0;
                        completed = true;
                    } else {
                        fragments += frame.content().readableBytes();
                    }
                }
            }
        };
    }

    /**
     * Starts counting, once the handshake is done: sets a handler right after the frame decoder,
     * which Netty put in place of the HTTP codec.
     *
     * @param decoder the frame decoder's name in {@code pipeline}
     * @param masked  whether the peer masks its frames (it is a client)
     */
    void start(ChannelPipeline pipeline, String decoder, boolean masked) {
        counting = true;
        pipeline.addAfter(decoder, "conduit-meter", new Observer() {
            @Override
            void observe(Object message) {
                if (message instanceof WebSocketFrame frame) {
                    decoded(frame, masked);
                }
            }
        });
    }

    private void decoded(WebSocketFrame frame, boolean masked) {
        long payload = frame.content().readableBytes();
        long wire = payload + 2 + (payload < 126 ? 0 : payload < 65536 ? 2 : 8) + (masked ? 4 : 0);
        // Bytes that came with the handshake's last read are not counted in, so never below 0.
        undecoded = Math.max(0, undecoded - wire);
        // What is left came with the last read at most.
        chunks = undecoded > 0 ? 1 : 0;
        if (!(frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame
                || frame instanceof ContinuationWebSocketFrame)) {
            return;
        }
        active = true;
    }

    /** @return the heap held for messages not yet complete, about */
    long held() {
        return undecoded + chunks * CHUNK_CHARGE + fragments;
    }

    /** @return the bytes of a message, or of a frame, that came and wait for the rest */
    long received() {
        return undecoded + fragments;
    }

    /** @return whether the peer sent data since the last call: a data frame, or part of any frame */
    boolean takeActivity() {
        boolean a = active || undecoded > 0;
        active = false;
        return a;
    }

    /** @return whether a message was completed since the last call */
    boolean takeCompleted() {
        boolean c = completed;
        completed = false;
        return c;
    }

    /** Passes everything on, looking at it first. */
    private abstract static class Observer extends ChannelInboundHandlerAdapter {
        abstract void observe(Object message);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            observe(message);
            ctx.fireChannelRead(message);
        }
    }
}
