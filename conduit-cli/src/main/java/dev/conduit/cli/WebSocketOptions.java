package dev.conduit.cli;

import dev.conduit.Endpoint;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --cert}, {@code --key}, {@code --trust} and {@code --token}: the endpoint options of
 * {@code wss://} and {@code ws://} as command-line options, so that a certificate's path or a
 * token need not be written into the endpoint.
 */
final class WebSocketOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "For a wss:// listener: its certificate chain, PEM (the endpoint's ?cert=).")
    private Path cert;

    @Option(names = "--key", paramLabel = "FILE",
            description = "For a wss:// listener: its private key, PEM PKCS#8 (the endpoint's ?key=).")
    private Path key;

    @Option(names = "--trust", paramLabel = "FILE",
            description = "For a wss:// client: the certificates to trust, PEM or a key store, instead of the"
                    + " JDK's authorities (the endpoint's ?trustStore=).")
    private Path trust;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "For ws:// and wss://: the bearer token a listener requires, or a client presents"
                    + " (the endpoint's ?token=).")
    private String token;

    /**
     * @return {@code endpoint} with these options added
     * @throws ParameterException if one is given for another scheme, or the endpoint has it too
     */
    String apply(String endpoint) {
        Map<String, String> added = new LinkedHashMap<>();
        put(added, "cert", cert == null ? null : cert.toString());
        put(added, "key", key == null ? null : key.toString());
        put(added, "trustStore", trust == null ? null : trust.toString());
        put(added, "token", token);
        if (added.isEmpty()) {
            return endpoint;
        }
        Endpoint parsed = Endpoint.parse(endpoint);
        if (!parsed.scheme().equals("ws") && !parsed.scheme().equals("wss")) {
            throw new ParameterException(spec.commandLine(), "endpoint '" + parsed.redacted() + "': --cert, --key,"
                    + " --trust and --token apply to ws:// and wss:// endpoints only");
        }
        Map<String, String> options = new LinkedHashMap<>(parsed.options());
        for (Map.Entry<String, String> option : added.entrySet()) {
            if (options.putIfAbsent(option.getKey(), option.getValue()) != null) {
                throw new ParameterException(spec.commandLine(), "endpoint '" + parsed.redacted() + "': its ?"
                        + option.getKey() + "= and the command-line option both set it; give one");
            }
        }
        return Endpoint.of(parsed.scheme(), parsed.address(), options).toString();
    }

    private static void put(Map<String, String> options, String name, String value) {
        if (value != null) {
            options.put(name, value);
        }
    }
}
