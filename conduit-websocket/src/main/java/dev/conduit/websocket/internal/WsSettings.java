package dev.conduit.websocket.internal;

import dev.conduit.Endpoint;
import dev.conduit.spi.support.EndpointOptions;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a {@code ws://} or {@code wss://} endpoint asks for, read and checked once.
 *
 * @param endpoint         the endpoint
 * @param name             how messages name it: the endpoint with secrets hidden
 * @param secure           {@code wss}
 * @param host             the host to listen on or connect to
 * @param port             the port; 0 lets a listener pick one
 * @param path             the request path, {@code /} if none
 * @param maxFrame         the largest message either way
 * @param token            the bearer token a listener requires, or a client presents; null for none
 * @param origins          the {@code Origin} values a listener accepts; empty for any
 * @param pingNanos        how often to ping the peer; 0 never
 * @param pingTimeoutNanos how long the peer may stay silent before the connection counts as lost
 * @param compress         whether to offer or accept permessage-deflate
 * @param spinNanos        how long a receiving platform thread looks for bytes before it sleeps, as
 *                         for Conduit's sockets ({@link Options#spinNanos})
 * @param cert             a listener's PEM certificate chain, or null
 * @param key              a listener's PEM private key (PKCS#8), or null
 * @param keyStore         a listener's key store (PKCS#12 or JKS), or null
 * @param keyStorePassword its password, or null
 * @param trustStore       what a client trusts: PEM certificates or a key store; null for the JDK's
 * @param trustStorePassword the trust store's password, or null
 */
record WsSettings(Endpoint endpoint, String name, boolean secure, String host, int port, String path, int maxFrame,
                  String token, List<String> origins, long pingNanos, long pingTimeoutNanos, boolean compress, long spinNanos,
                  Path cert, Path key, Path keyStore, String keyStorePassword, Path trustStore,
                  String trustStorePassword) {
    static final String TOKEN = "token";
    static final String ORIGINS = "origins";
    static final String PING = "ping";
    static final String PING_TIMEOUT = "pingTimeout";
    static final String COMPRESS = "compress";
    static final String CERT = "cert";
    static final String KEY = "key";
    static final String KEY_STORE = "keyStore";
    static final String KEY_STORE_PASSWORD = "keyStorePassword";
    static final String TRUST_STORE = "trustStore";
    static final String TRUST_STORE_PASSWORD = "trustStorePassword";
    static final Set<String> NAMES = Set.of(EndpointOptions.MAX_FRAME, EndpointOptions.SPIN, TOKEN, ORIGINS, PING, PING_TIMEOUT, COMPRESS, CERT, KEY,
            KEY_STORE, KEY_STORE_PASSWORD, TRUST_STORE, TRUST_STORE_PASSWORD);
    private static final long DEFAULT_PING_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final long MAX_DURATION_NANOS = TimeUnit.DAYS.toNanos(1);

    /**
     * @throws IllegalArgumentException naming the endpoint and the option, if one is malformed
     */
    static WsSettings of(Endpoint endpoint) {
        String name = endpoint.redacted();
        URI uri;
        try {
            uri = new URI(endpoint.scheme() + "://" + endpoint.address());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("endpoint '" + name + "': not a URL: " + e.getMessage(), e);
        }
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("endpoint '" + name + "': expected " + endpoint.scheme()
                    + "://HOST:PORT/PATH, with the port written out");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        long ping = EndpointOptions.durationNanos(endpoint, PING, DEFAULT_PING_NANOS, TimeUnit.MILLISECONDS.toNanos(1),
                MAX_DURATION_NANOS);
        long pingTimeout = EndpointOptions.durationNanos(endpoint, PING_TIMEOUT, 3 * ping, TimeUnit.MILLISECONDS.toNanos(1),
                MAX_DURATION_NANOS);
        if (ping > 0 && pingTimeout < ping) {
            throw new IllegalArgumentException("endpoint '" + name + "': pingTimeout=" + endpoint.option(PING_TIMEOUT)
                    .orElse("") + " is shorter than ping=" + endpoint.option(PING).orElse("20s")
                    + " (expected at least one ping interval)");
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        return new WsSettings(endpoint, name, endpoint.scheme().equals("wss"), host, uri.getPort(), path,
                EndpointOptions.maxFrame(endpoint), endpoint.option(TOKEN).orElse(null), EndpointOptions.list(endpoint, ORIGINS),
                ping, pingTimeout, EndpointOptions.flag(endpoint, COMPRESS, false), EndpointOptions.spinNanos(endpoint), file(endpoint, CERT), file(endpoint, KEY),
                file(endpoint, KEY_STORE), endpoint.option(KEY_STORE_PASSWORD).orElse(null),
                file(endpoint, TRUST_STORE), endpoint.option(TRUST_STORE_PASSWORD).orElse(null));
    }


    private static Path file(Endpoint endpoint, String option) {
        return endpoint.option(option).map(Path::of).orElse(null);
    }

    /** @return the URI a client asks for: scheme, host, port and path, no Conduit options */
    URI requestUri() {
        try {
            return new URI(endpoint.scheme() + "://" + endpoint.address());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
