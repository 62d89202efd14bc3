/**
 * Messaging patterns over any of Conduit's senders: {@link dev.conduit.pattern.Broadcast} (one
 * publisher to every member, with a slow-consumer policy per member) and
 * {@link dev.conduit.pattern.Distributor} (each message to one member, at least once). Serving a
 * listener is {@link dev.conduit.Listener#serve}. See {@code docs/patterns.md}.
 */
package dev.conduit.pattern;
