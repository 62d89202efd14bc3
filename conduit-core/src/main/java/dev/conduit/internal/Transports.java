package dev.conduit.internal;

import dev.conduit.Endpoint;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.fifo.FifoTransport;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.mq.MqTransport;
import dev.conduit.internal.log.LogTransport;
import dev.conduit.internal.zipc.ZipcTransport;
import dev.conduit.internal.mem.MemTransport;
import dev.conduit.internal.process.ProcessTransport;
import dev.conduit.internal.shm.ShmTransport;
import dev.conduit.internal.tcp.TcpTransport;
import dev.conduit.internal.unix.UnixTransport;
import dev.conduit.spi.TransportProvider;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Finds the transport for an endpoint: the built-in ones, then any found by
 * {@link ServiceLoader} (such as conduit-websocket). A built-in scheme cannot be replaced.
 */
public final class Transports {
    private static final Map<String, TransportProvider> PROVIDERS = load();
    private static final Set<String> ONE_WAY = PROVIDERS.entrySet().stream()
            .filter(e -> e.getValue().oneWaySchemes().contains(e.getKey()))
            .map(Map.Entry::getKey)
            .collect(Collectors.toUnmodifiableSet());
    private static final Set<String> EITHER_WAY = PROVIDERS.entrySet().stream()
            .filter(e -> e.getValue().eitherWaySchemes().contains(e.getKey()))
            .map(Map.Entry::getKey)
            .collect(Collectors.toUnmodifiableSet());

    private Transports() {
    }

    private static Map<String, TransportProvider> load() {
        Map<String, TransportProvider> map = new LinkedHashMap<>();
        for (TransportProvider p : List.of(new UnixTransport(), new TcpTransport(), new MemTransport(),
                new ProcessTransport(), new ShmTransport(), new FifoTransport(), new LogTransport(),
                new MqTransport(), new ZipcTransport())) {
            p.schemes().forEach(s -> map.put(s, p));
        }
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader())) {
            p.schemes().forEach(s -> map.putIfAbsent(s, p));
        }
        return Map.copyOf(map);
    }

    /** @return the schemes served here, built-in and found, in alphabetical order */
    public static SortedSet<String> schemes() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(PROVIDERS.keySet()));
    }

    /**
     * @param scheme a scheme, in lower case
     * @return whether the transport serving it (if any) carries its messages one way
     */
    public static boolean isOneWay(String scheme) {
        return ONE_WAY.contains(scheme);
    }

    /**
     * @param scheme a scheme, in lower case
     * @return whether the transport serving it (if any) opens its endpoints either way
     *         ({@link TransportProvider#eitherWaySchemes()})
     */
    public static boolean isEitherWay(String scheme) {
        return EITHER_WAY.contains(scheme);
    }

    /**
     * @param endpoint the endpoint
     * @return the transport serving its scheme, its options not yet checked
     * @throws TransportUnavailableException if none serves the scheme here, naming the endpoint
     *                                       and the schemes that are served
     */
    public static TransportProvider served(Endpoint endpoint) throws TransportUnavailableException {
        TransportProvider provider = PROVIDERS.get(endpoint.scheme());
        if (provider == null) {
            throw new TransportUnavailableException(endpoint.redacted() + ": " + switch (endpoint.scheme()) {
                case "ws", "wss" -> "the WebSocket transport is not on the class path (add the module"
                        + " dev.conduit:conduit-websocket)";
                case "nats" -> "the NATS transport is not on the class path (add the module dev.conduit:conduit-nats)";
                default -> "no transport for scheme '" + endpoint.scheme() + "' is available in this build"
                        + " (available: " + String.join(", ", schemes()) + "; a transport from another jar"
                        + " registers through dev.conduit.spi.TransportProvider; for a socket path containing"
                        + " ':' write unix:PATH)";
            });
        }
        return provider;
    }

    /**
     * @param endpoint the endpoint
     * @return the transport serving its scheme, having checked its option names
     * @throws TransportUnavailableException if none serves the scheme here
     * @throws IllegalArgumentException      if an option name is unknown to the transport
     */
    public static TransportProvider forEndpoint(Endpoint endpoint) throws TransportUnavailableException {
        TransportProvider provider = served(endpoint);
        for (String name : endpoint.options().keySet()) {
            if (name.equals(Framing.OPTION) && !provider.optionNames().contains(name)) {
                throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': framing is for byte"
                        + " streams (unix:, pipe:, tcp://, fifo:, stdio and spawn); " + endpoint.scheme()
                        + " carries whole messages, so it takes no framing option");
            }
            if (!provider.optionNames().contains(name)) {
                throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': unknown option '" + name
                        + "' for " + endpoint.scheme() + " (known: "
                        + String.join(", ", new TreeSet<>(provider.optionNames())) + ")");
            }
        }
        return provider;
    }
}
