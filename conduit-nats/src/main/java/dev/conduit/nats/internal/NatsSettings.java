package dev.conduit.nats.internal;

import dev.conduit.Endpoint;
import dev.conduit.spi.support.EndpointOptions;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A {@code nats://HOST:PORT/SUBJECT?...} endpoint's settings, read once. Every error is an
 * {@link IllegalArgumentException} quoting the endpoint, secrets redacted.
 *
 * @param endpoint       the endpoint
 * @param name           the endpoint as messages show it ({@link Endpoint#redacted()})
 * @param host           the server's host
 * @param port           the server's port (4222 when not written)
 * @param subject        the subject: published to, subscribed to (wildcards allowed there), or
 *                       served
 * @param queue          {@code ?queue=}: the queue group, or {@code null}
 * @param token          {@code ?token=}: the server's authorization token, or {@code null}
 * @param creds          {@code ?creds=}: a NATS credentials file (JWT and NKey seed), or
 *                       {@code null}
 * @param tls            {@code ?tls=true}: TLS to the server, whose certificate must name the
 *                       host and be signed by an authority the JVM trusts, or by one in
 *                       {@code trustStore}
 * @param trustStore     {@code ?trustStore=}: PEM certificates, or a PKCS#12 or JKS store, of the
 *                       authorities trusted instead of the JVM's; or {@code null}
 * @param trustStorePassword {@code ?trustStorePassword=}: the store's password, or {@code null}
 * @param stream         {@code ?stream=}: the JetStream stream, or {@code null} for core NATS
 * @param durable        {@code ?durable=}: the durable consumer a receiver resumes, or
 *                       {@code null}
 * @param from           {@code ?from=}: where a new JetStream consumer starts, or {@code null}
 * @param maxFrame       {@code ?maxFrame=}: the longest message, or -1 when not written (the
 *                       server's {@code max_payload} then bounds it)
 * @param serverDownNanos {@code ?serverDownTimeout=}: how long a lost server connection may stay down
 *                       before blocked and later calls fail (default 30 s)
 */
record NatsSettings(Endpoint endpoint, String name, String host, int port, String subject, String queue,
                    String token, Path creds, boolean tls, Path trustStore, String trustStorePassword, String stream, String durable, String from,
                    int maxFrame, long serverDownNanos) {
    /** The options a {@code nats://} endpoint takes. */
    static final Set<String> NAMES = Set.of(EndpointOptions.MAX_FRAME, "queue", "token", "creds", "tls", "trustStore",
            "trustStorePassword", "stream", "durable", "from", "serverDownTimeout");

    /** NATS's default client port. */
    static final int DEFAULT_PORT = 4222;

    private static final long DEFAULT_SERVER_DOWN_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A subject's tokens: printable, no blanks, separated by single dots (NATS subject rules). */
    private static final Pattern SUBJECT = Pattern.compile("[^.\\s]+(\\.[^.\\s]+)*");
    /** Stream, consumer and queue names: no blanks, dots or wildcards (JetStream's rules). */
    private static final Pattern NAME = Pattern.compile("[^.\\s*>/\\\\]+");

    /**
     * Reads an endpoint.
     *
     * @param endpoint a {@code nats://} endpoint
     * @return its settings
     * @throws IllegalArgumentException if the address or an option is malformed
     */
    static NatsSettings of(Endpoint endpoint) {
        String name = endpoint.redacted();
        String address = endpoint.address();
        if (!address.startsWith("//") || address.indexOf('/', 2) < 0) {
            throw new IllegalArgumentException("endpoint '" + name + "': expected nats://HOST:PORT/SUBJECT");
        }
        int slash = address.indexOf('/', 2);
        String authority = address.substring(2, slash);
        // Percent-escapes are decoded as in a URL's path ("+" stays itself), so an escaped space is
        // refused as a written one is.
        String subject = decode(name, address.substring(slash + 1));
        if (!SUBJECT.matcher(subject).matches()) {
            throw new IllegalArgumentException("endpoint '" + name + "': subject '" + subject + "' is not a NATS"
                    + " subject (expected tokens separated by dots, without spaces or empty tokens, e.g. orders.eu)");
        }
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int port = colon < 0 ? DEFAULT_PORT : port(name, authority.substring(colon + 1));
        if (host.isEmpty()) {
            throw new IllegalArgumentException("endpoint '" + name + "': no host (expected nats://HOST:PORT/SUBJECT)");
        }
        var o = endpoint.options();
        String stream = checkedName(name, "stream", o.get("stream"));
        String durable = checkedName(name, "durable", o.get("durable"));
        String from = o.get("from");
        if ((durable != null || from != null) && stream == null) {
            throw new IllegalArgumentException("endpoint '" + name + "': durable and from are JetStream options:"
                    + " add ?stream=NAME");
        }
        String creds = o.get("creds");
        boolean tls = EndpointOptions.flag(endpoint, "tls", false);
        String trustStore = o.get("trustStore");
        if (!tls && (trustStore != null || o.containsKey("trustStorePassword"))) {
            throw new IllegalArgumentException("endpoint '" + name + "': trustStore and trustStorePassword are for"
                    + " TLS: add ?tls=true");
        }
        int maxFrame = o.containsKey(EndpointOptions.MAX_FRAME) ? EndpointOptions.maxFrame(endpoint) : -1;
        long serverDown = EndpointOptions.durationNanos(endpoint, "serverDownTimeout", DEFAULT_SERVER_DOWN_NANOS,
                TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.DAYS.toNanos(1));
        return new NatsSettings(endpoint, name, host, port, subject, checkedName(name, "queue", o.get("queue")),
                o.get("token"), creds == null ? null : Path.of(creds), tls,
                trustStore == null ? null : Path.of(trustStore), o.get("trustStorePassword"), stream, durable, from, maxFrame, serverDown);
    }

    private static String decode(String name, String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("endpoint '" + name + "': subject '" + text + "' has a malformed"
                    + " %-escape", e);
        }
    }

    private static int port(String name, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below, as for a port out of range.
        }
        throw new IllegalArgumentException("endpoint '" + name + "': port '" + text + "' (expected 1 to 65535)");
    }

    private static String checkedName(String name, String option, String value) {
        if (value != null && !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException("endpoint '" + name + "': " + option + " '" + value + "' (expected a"
                    + " name without spaces, dots, '*', '>', '/' or '\\')");
        }
        return value;
    }

    /** @return the server's URL, as jnats takes it */
    String serverUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return (tls ? "tls://" : "nats://") + h + ":" + port;
    }

    /** @return whether the subject has a wildcard token, which only a subscriber may use */
    boolean hasWildcard() {
        for (String token : subject.split("\\.")) {
            if (token.equals("*") || token.equals(">")) {
                return true;
            }
        }
        return false;
    }
}
