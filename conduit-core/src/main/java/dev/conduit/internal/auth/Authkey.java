package dev.conduit.internal.auth;

import dev.conduit.AuthenticationException;
import dev.conduit.Connection;
import dev.conduit.Endpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An endpoint's {@code ?authkey=SECRET} or {@code ?authkeyFile=PATH}: the key for Python's
 * {@code multiprocessing.connection} challenge ({@link PythonChallenge}), made on a raw
 * {@code unix:}, {@code pipe:} or {@code tcp://} connection before anything else. The key is the
 * option's value as UTF-8, or the file's bytes exactly as they are (a trailing newline is part of
 * the key, as it would be for Python reading the file in binary). The transports never see these
 * options, so the key reaches no transport's messages; this class's own messages name the
 * endpoint by {@link Endpoint#redacted()}. Immutable and thread-safe.
 */
public final class Authkey {
    /** The option carrying the key itself. */
    public static final String AUTHKEY = "authkey";
    /** The option naming a file that holds the key. */
    public static final String AUTHKEY_FILE = "authkeyFile";
    /** How long a whole challenge may take, each way together. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Set<String> SCHEMES = Set.of("unix", "pipe", "tcp");
    private static final int MAX_FILE = 64 << 10;

    private final byte[] key;
    private final boolean endsInNewline;

    private Authkey(byte[] key, boolean fromFile) {
        this.key = key;
        this.endsInNewline = fromFile && key[key.length - 1] == '\n';
    }

    /**
     * Reads the key an endpoint names; blocks to read a key file.
     *
     * @param endpoint the endpoint as the user wrote it
     * @return its key, or {@code null} if it has neither option
     * @throws IllegalArgumentException if both options are given, the key is empty, or the
     *                                  scheme is not {@code unix}, {@code pipe} or {@code tcp}
     * @throws IOException              naming the endpoint and the file if the file cannot be read
     */
    public static Authkey of(Endpoint endpoint) throws IOException {
        String value = endpoint.option(AUTHKEY).orElse(null);
        String file = endpoint.option(AUTHKEY_FILE).orElse(null);
        if (value == null && file == null) {
            return null;
        }
        String shown = endpoint.redacted();
        if (!SCHEMES.contains(endpoint.scheme())) {
            throw new IllegalArgumentException("endpoint '" + shown + "': " + (value != null ? AUTHKEY : AUTHKEY_FILE)
                    + " works on unix:, pipe: and tcp:// (Python's multiprocessing.connection), not "
                    + endpoint.scheme() + ":");
        }
        if (value != null && file != null) {
            throw new IllegalArgumentException("endpoint '" + shown + "': give " + AUTHKEY + " or " + AUTHKEY_FILE
                    + ", not both");
        }
        byte[] key = value != null ? value.getBytes(StandardCharsets.UTF_8) : read(shown, file);
        if (key.length == 0) {
            throw new IllegalArgumentException("endpoint '" + shown + "': the authkey is empty (Python would skip"
                    + " authentication for an empty key; give at least one byte)");
        }
        return new Authkey(key, file != null);
    }

    private static byte[] read(String shown, String file) throws IOException {
        Path path = Path.of(file);
        try {
            long size = Files.size(path);
            if (size > MAX_FILE) {
                throw new IOException(shown + ": " + AUTHKEY_FILE + ": " + file + " holds " + size
                        + " bytes (expected a key of at most " + MAX_FILE + ")");
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(shown)) {
                throw e;
            }
            throw new IOException(shown + ": " + AUTHKEY_FILE + ": cannot read " + file + ": " + e, e);
        }
    }

    /**
     * @param endpoint an endpoint
     * @return it without {@code authkey} and {@code authkeyFile}: what the transport and the
     *         session see; the same endpoint if it has neither
     */
    public static Endpoint strip(Endpoint endpoint) {
        if (endpoint.option(AUTHKEY).isEmpty() && endpoint.option(AUTHKEY_FILE).isEmpty()) {
            return endpoint;
        }
        Map<String, String> options = new LinkedHashMap<>(endpoint.options());
        options.keySet().removeAll(Set.of(AUTHKEY, AUTHKEY_FILE));
        return Endpoint.of(endpoint.scheme(), endpoint.address(), options);
    }

    /**
     * @param resolved a stripped endpoint with its address resolved (a port the system picked)
     * @param original the endpoint as the user wrote it
     * @return {@code resolved} with the original's key options, for clients to connect with
     */
    public static Endpoint restore(Endpoint resolved, Endpoint original) {
        Map<String, String> options = new LinkedHashMap<>(resolved.options());
        original.option(AUTHKEY).ifPresent(v -> options.put(AUTHKEY, v));
        original.option(AUTHKEY_FILE).ifPresent(v -> options.put(AUTHKEY_FILE, v));
        return Endpoint.of(resolved.scheme(), resolved.address(), options);
    }

    /**
     * The listener's side of the challenge ({@link PythonChallenge#asListener}); blocks up to 5 s.
     *
     * @param connection a freshly accepted connection; closed if this fails
     * @param endpoint   the listener's endpoint, to name in messages (redacted)
     * @throws AuthenticationException if the keys differ or the peer does not answer as Python does
     * @throws IOException             if the connection fails
     */
    public void asListener(Connection connection, Endpoint endpoint) throws IOException {
        run(connection, endpoint, true);
    }

    /**
     * The client's side of the challenge ({@link PythonChallenge#asClient}); blocks up to 5 s.
     *
     * @param connection a freshly made connection; closed if this fails
     * @param endpoint   the endpoint connected to, to name in messages (redacted)
     * @throws AuthenticationException if the keys differ or the peer does not answer as Python does
     * @throws IOException             if the connection fails
     */
    public void asClient(Connection connection, Endpoint endpoint) throws IOException {
        run(connection, endpoint, false);
    }

    private void run(Connection connection, Endpoint endpoint, boolean listener) throws IOException {
        String name = endpoint.redacted();
        try {
            if (listener) {
                PythonChallenge.asListener(connection, key, name, TIMEOUT);
            } else {
                PythonChallenge.asClient(connection, key, name, TIMEOUT);
            }
        } catch (AuthenticationException e) {
            connection.close();
            if (endsInNewline && e.getMessage().endsWith(PythonChallenge.KEYS_DIFFER)) {
                throw new AuthenticationException(e.getMessage() + " (the key file ends with a newline, which is"
                        + " part of the key; write the file without one, e.g. with printf '%s')", e.getCause());
            }
            throw e;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** @return a description without the key */
    @Override
    public String toString() {
        return "Authkey[" + key.length + " bytes]";
    }
}
