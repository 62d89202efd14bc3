package dev.conduit.testing;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** A connected {@code mem:} pair for tests of what sits above a connection. */
public final class MemPair {
    private MemPair() {
    }

    /**
     * @param open where the listener and both ends are recorded, for the test to close them
     * @return [0] the client, [1] the server
     */
    public static Connection[] open(String prefix, List<AutoCloseable> open) throws IOException {
        Duration wait = Duration.ofSeconds(10);
        Listener listener = Conduit.listen("mem:" + prefix + "-" + System.nanoTime());
        open.add(listener);
        Connection client = Conduit.connect(listener.endpoint(), wait);
        open.add(client);
        Connection server = listener.accept(wait);
        open.add(server);
        return new Connection[] {client, server};
    }
}
