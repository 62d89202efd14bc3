package dev.conduit.pattern;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A member process for the pattern tests: {@code receive ENDPOINT [STOP_AFTER]} connects, prints
 * each message it receives as a line (flushed before the next receive, so what it printed is
 * what its application took), and exits when the peer closes; with {@code STOP_AFTER}, it stops
 * receiving after that many messages and waits to be killed.
 */
public final class PatternPeers {
    private PatternPeers() {
    }

    public static void main(String[] args) throws Exception {
        int stopAfter = args.length > 2 ? Integer.parseInt(args[2]) : Integer.MAX_VALUE;
        try (Connection c = Conduit.connect(args[1], Duration.ofSeconds(10))) {
            for (int n = 0; n < stopAfter; n++) {
                System.out.println(c.receiveString());
                System.out.flush();
            }
            new CountDownLatch(1).await();
        } catch (ConnectionClosedException e) {
            // The group closed this member: done.
        }
    }

    /** Collects the lines a child prints, on a thread of its own; counts them in {@code lines}. */
    static Thread collect(Process child, Set<String> into, AtomicInteger lines) {
        return Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    into.add(line);
                    lines.incrementAndGet();
                }
            } catch (Exception e) {
                // The child was killed: what it printed is collected.
            }
        });
    }
}
