package dev.conduit.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Node.js peers in {@code interop/node}: where they are, and skipping, saying why, without them. */
public final class NodePeers {
    /** {@code interop/node}, seen from a module's folder (the tests' working directory). */
    public static final Path DIR = Path.of(System.getProperty("user.dir")).resolveSibling("interop").resolve("node");

    private NodePeers() {
    }

    /**
     * Skips the calling test class unless {@code node} runs and {@code npm ci} has installed the
     * {@code ws} package in {@link #DIR}, as {@code .ci/run} does.
     */
    public static void assumeNodeWithWs() throws InterruptedException {
        Assumptions.assumeTrue(Files.isDirectory(DIR.resolve("node_modules").resolve("ws")),
                () -> "skipped: " + DIR + "/node_modules/ws is missing (run npm ci there, as .ci/run does)");
        Process version;
        try {
            version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("skipped: node is not on the PATH: " + e.getMessage());
            return;
        }
        Assumptions.assumeTrue(version.waitFor(30, TimeUnit.SECONDS) && version.exitValue() == 0, "skipped: node fails");
    }
}
