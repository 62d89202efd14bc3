/**
 * Conduit: inter-process messaging for the JVM. Start with {@link dev.conduit.Conduit}.
 */
// dev.conduit.websocket is built after this module, so javac cannot see it here.
@SuppressWarnings("module")
module dev.conduit {
    requires jdk.net;

    exports dev.conduit;
    exports dev.conduit.channel;
    exports dev.conduit.queue;
    exports dev.conduit.spi;
    exports dev.conduit.spi.support;
    // The WebSocket module builds its connections on the same base as the built-in transports.
    exports dev.conduit.internal to dev.conduit.websocket;
    exports dev.conduit.internal.socket to dev.conduit.websocket;

    uses dev.conduit.spi.TransportProvider;
}
