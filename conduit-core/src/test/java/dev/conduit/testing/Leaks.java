package dev.conduit.testing;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Connects and closes many times over one listener, and checks that the process holds as many
 * file descriptors and live threads afterwards as before (after a warm-up, so that lazily made
 * shared threads, such as event loops, are there in both counts).
 */
public final class Leaks {
    private static final Path FDS = Path.of("/proc/self/fd");

    private Leaks() {
    }

    /** @return the open file descriptors of this process */
    public static long descriptors() throws IOException {
        try (Stream<Path> fds = Files.list(FDS)) {
            return fds.count();
        }
    }

    /** @return the live platform threads of this process */
    public static int threads() {
        return Thread.getAllStackTraces().size();
    }

    /**
     * Runs {@code cycles} connect, one round trip and close on both sides, over a listener on
     * {@code endpoint}, and asserts that descriptors and threads come back to where they were
     * (waiting up to 10 s for closes the transport finishes in the background).
     */
    public static void assertNoneAfter(String endpoint, int cycles) throws Exception {
        try (Listener listener = Conduit.listen(endpoint)) {
            String where = listener.endpoint().toString();
            cycle(listener, where, 200);
            long fds = descriptors();
            int threads = threads();
            cycle(listener, where, cycles);
            Waits.until(cycles + " connect/close cycles over " + where + " leave at most " + fds
                    + " descriptors and " + threads + " threads (as before them)", Duration.ofSeconds(10), () -> {
                        try {
                            return descriptors() <= fds && threads() <= threads;
                        } catch (IOException e) {
                            return false;
                        }
                    });
        }
    }

    private static void cycle(Listener listener, String where, int cycles) throws Exception {
        for (int i = 0; i < cycles; i++) {
            try (Connection client = Conduit.connect(where, Duration.ofSeconds(10));
                 Connection server = listener.accept(Duration.ofSeconds(10))) {
                assertNotNull(server, "cycle " + i + ": accept timed out");
                client.send("ping");
                server.send(server.receive(Duration.ofSeconds(10)));
                client.receive(Duration.ofSeconds(10));
            }
        }
    }
}
