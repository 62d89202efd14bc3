/**
 * {@code ws://} and {@code wss://} for Conduit, on Netty. Exports nothing: Conduit's service
 * loader finds the transport, and an application uses it through {@code dev.conduit} alone.
 */
module dev.conduit.websocket {
    requires dev.conduit;
    requires io.netty.buffer;
    requires io.netty.codec;
    // Netty's HTTP codec needs it for permessage-deflate (?compress=true) but requires it only statically.
    requires io.netty.codec.compression;
    requires io.netty.codec.http;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;

    provides dev.conduit.spi.TransportProvider with dev.conduit.websocket.internal.WebSocketTransport;
}
