/**
 * Support for transport authors: what a {@link dev.conduit.spi.TransportProvider} in another
 * module builds on, so it has the semantics, option grammar and error wording of the built-in
 * transports without reaching into Conduit's internals (conduit-websocket is built on this
 * package alone).
 *
 * <ul>
 * <li>Connections: {@link dev.conduit.spi.support.MessageConnection}, a
 *     {@link dev.conduit.Connection} from three primitives (take the next message, send one,
 *     close); every receive variant, {@code poll}, {@code onMessage}, {@code receiveAsync}, the
 *     length check and idempotent close are Conduit's own code. {@link dev.conduit.spi.support.SendMode}
 *     says how a message is to be sent.</li>
 * <li>Options: {@link dev.conduit.spi.support.EndpointOptions} ({@code maxFrame}, {@code spin},
 *     sizes, durations, flags, lists); {@link dev.conduit.spi.support.ReceiveLimits} and
 *     {@link dev.conduit.spi.support.ReceiveShare} ({@code idleTimeout}, {@code frameTimeout},
 *     {@code receiveBudget}); {@link dev.conduit.spi.support.Timeouts}.</li>
 * <li>Sockets and listeners: {@link dev.conduit.spi.support.SocketReadiness} (waiting on a
 *     non-blocking channel, connecting with retries) and
 *     {@link dev.conduit.spi.support.ArrivalQueue} (handing handshaken clients to
 *     {@code accept} in arrival order); {@link dev.conduit.spi.support.ListenerStatistics} (a
 *     listener's counters and events, as Conduit's own listeners keep them).</li>
 * </ul>
 *
 * <p>Frame codecs stay with each transport (conduit-websocket uses Netty's); a transport that
 * moves Conduit's own length-prefixed frames is better written inside Conduit.
 */
package dev.conduit.spi.support;
