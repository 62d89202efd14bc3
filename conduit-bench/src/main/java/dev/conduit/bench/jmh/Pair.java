package dev.conduit.bench.jmh;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Two connected ends of one transport inside this JVM, for the benchmarks: {@code client} sends,
 * {@code server} receives. Unix sockets live in a fresh directory under {@code /tmp} (socket
 * paths must stay under 108 bytes), removed on close.
 */
final class Pair implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final String SOCKET = "b.sock";

    final Connection client;
    final Connection server;
    private final Listener listener;
    private final Path directory;

    private Pair(Listener listener, Connection client, Connection server, Path directory) {
        this.listener = listener;
        this.client = client;
        this.server = server;
        this.directory = directory;
    }

    /**
     * @param transport {@code mem}, {@code unix}, {@code tcp} or {@code shm}
     * @param options   endpoint options without the {@code ?}, or empty
     * @return a connected pair
     * @throws IOException if listening, connecting or accepting fails
     */
    static Pair open(String transport, String options) throws IOException {
        Path directory = null;
        String endpoint = switch (transport.toLowerCase(Locale.ROOT)) {
            case "mem" -> "mem:jmh-" + System.nanoTime();
            case "unix" -> {
                directory = Files.createTempDirectory(Path.of("/tmp"), "cjmh");
                yield "unix:" + directory.resolve(SOCKET);
            }
            case "tcp" -> "tcp://127.0.0.1:0";
            case "shm" -> "shm:jmh-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            default -> throw new IllegalArgumentException("transport: " + transport
                    + " (expected mem, unix, tcp or shm)");
        };
        if (!options.isEmpty()) {
            endpoint += "?" + options;
        }
        Listener listener = Conduit.listen(endpoint);
        Connection client = Conduit.connect(listener.endpoint(), CONNECT_TIMEOUT);
        Connection server = listener.accept(CONNECT_TIMEOUT);
        if (server == null) {
            throw new IOException(endpoint + ": accept timed out");
        }
        return new Pair(listener, client, server, directory);
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
            server.close();
            listener.close();
        } finally {
            // Plain deletes, no Files.walk: JMH counts what the trial's teardown allocates in the
            // last iteration's gc.alloc.rate.norm.
            if (directory != null) {
                Files.deleteIfExists(directory.resolve(SOCKET));
                Files.deleteIfExists(directory);
            }
        }
    }
}
