/**
 * {@code nats://} for Conduit, on the official NATS client (jnats). Exports nothing: Conduit's
 * service loader finds the transport, and an application uses it through {@code dev.conduit}
 * alone.
 */
// jnats has no module descriptor of its own, only the Automatic-Module-Name io.nats.jnats.
@SuppressWarnings("requires-automatic")
module dev.conduit.nats {
    requires dev.conduit;
    requires io.nats.jnats;

    provides dev.conduit.spi.TransportProvider with dev.conduit.nats.internal.NatsTransport;
}
