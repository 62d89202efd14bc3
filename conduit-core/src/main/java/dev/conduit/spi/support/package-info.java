/**
 * Support for transport authors: what a {@link dev.conduit.spi.TransportProvider} in another
 * module builds its connections on, so it has the semantics of the built-in transports without
 * reaching into Conduit's internals.
 *
 * <ul>
 * <li>{@link dev.conduit.spi.support.MessageConnection}: a {@link dev.conduit.Connection} from
 *     three primitives (next message, send a message, close); every receive variant, poll,
 *     {@code onMessage}, {@code receiveAsync}, the length check and idempotent close are
 *     Conduit's own, as for the built-in transports.</li>
 * <li>{@link dev.conduit.spi.support.EndpointOptions}: reads the common options
 *     ({@code maxFrame}, {@code spin}, durations, flags, lists) in Conduit's grammar, with its
 *     error messages.</li>
 * </ul>
 *
 * <p>Types here are exported API: they change only as the rest of {@code dev.conduit} does.
 */
package dev.conduit.spi.support;
