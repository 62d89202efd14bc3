/**
 * Conduit: inter-process messaging for the JVM. Start with {@link dev.conduit.Conduit}.
 */
module dev.conduit {
    requires jdk.net;

    exports dev.conduit;
    exports dev.conduit.channel;
    exports dev.conduit.queue;
    exports dev.conduit.spi;

    uses dev.conduit.spi.TransportProvider;
}
