package dev.conduit.pattern;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Connected pairs over several transports for the pattern tests, and everything to clean up after them. */
final class Pairs {
    static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Process> children = new ArrayList<>();
    private TempDir dir;

    /** @return a fresh endpoint to listen on for {@code scheme}: unix, tcp, mem or shm, with {@code options} */
    String endpoint(String scheme, String options) throws IOException {
        String query = options.isEmpty() ? "" : "?" + options;
        return switch (scheme) {
            case "unix" -> {
                if (dir == null) {
                    dir = track(new TempDir());
                }
                yield "unix:" + dir.resolve("p" + System.nanoTime() % 1_000_000 + ".sock") + query;
            }
            case "tcp" -> "tcp://127.0.0.1:0" + query;
            case "mem" -> "mem:pattern-" + System.nanoTime() + query;
            case "shm" -> "shm:pt" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000
                    + (query.isEmpty() ? "?size=256k" : query + "&size=256k");
            default -> throw new IllegalArgumentException(scheme);
        };
    }

    /** @return {the listening side's connection (a member), the client that receives what it is sent} */
    Connection[] pair(String scheme) throws IOException {
        Listener listener = track(Conduit.listen(endpoint(scheme, "")));
        Connection client = track(Conduit.connect(listener.endpoint().toString(), WAIT));
        Connection member = track(listener.accept(WAIT));
        assertNotNull(member, scheme + ": accept timed out");
        return new Connection[] {member, client};
    }

    <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    Process track(Process child) {
        children.add(child);
        return child;
    }

    /** Kills the children, then closes what was tracked, last first. */
    void close() throws Exception {
        children.forEach(ChildJvm::kill);
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }
}
