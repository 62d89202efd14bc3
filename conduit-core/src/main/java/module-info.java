/**
 * Conduit: inter-process messaging for the JVM. Start with {@link dev.conduit.Conduit}; to add a
 * transport from another module, see {@link dev.conduit.spi.TransportProvider} and
 * {@link dev.conduit.spi.support}.
 */
module dev.conduit {
    requires jdk.jfr;
    requires jdk.net;

    exports dev.conduit;
    exports dev.conduit.channel;
    exports dev.conduit.pattern;
    exports dev.conduit.queue;
    exports dev.conduit.spi;
    exports dev.conduit.spi.support;

    uses dev.conduit.spi.TransportProvider;
}
