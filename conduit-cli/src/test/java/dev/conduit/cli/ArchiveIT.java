package dev.conduit.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The release archives as a user meets them (run by {@code -Prelease} after {@code package}):
 * unpacked into an empty folder and run with no JDK anywhere on the {@code PATH} and no
 * {@code JAVA_HOME}, only the runtime image inside.
 */
@Timeout(300)
final class ArchiveIT {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

    private Path root;
    private Path tools;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void unpack() throws Exception {
        root = Files.createTempDirectory("conduit-archive");
        // The only commands on the PATH: what bin/conduit itself calls. No java, no JDK.
        tools = Files.createDirectory(root.resolve("tools"));
        Files.createSymbolicLink(tools.resolve("dirname"), Path.of("/usr/bin/dirname"));
        Path unpacked = Files.createDirectory(root.resolve("home"));
        untar(archive("conduit-"), unpacked);
    }

    @AfterEach
    void cleanUp() throws IOException {
        started.forEach(Process::destroyForcibly);
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void runsWithItsOwnRuntime() throws Exception {
        Path conduit = home().resolve("bin/conduit");
        Result version = run(conduit, "--version");
        assertEquals(0, version.code(), version.toString());
        assertEquals("conduit " + System.getProperty("conduit.version"), version.out().lines().findFirst().orElseThrow(),
                version.toString());
        Result demo = run(conduit, "demo", "--messages", "200", "--warmup", "0");
        assertEquals(0, demo.code(), demo.toString());
        assertTrue(demo.out().contains("unix"), demo.toString());
        assertTrue(Files.exists(home().resolve("LICENSE")) && Files.exists(home().resolve("NOTICE")));
    }

    @Test
    void sendsToAListenerOverAUnixSocket() throws Exception {
        Path conduit = home().resolve("bin/conduit");
        String endpoint = "unix:" + root.resolve("archive.sock");
        Process listen = start(conduit, "listen", endpoint, "--count", "1");
        Result send = null;
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        // The listener prints its status line once bound; a send before that finds no socket.
        while (System.nanoTime() < deadline) {
            send = run(conduit, "send", endpoint, "hello from the archive", "--timeout", "5s");
            if (send.code() == 0) {
                break;
            }
        }
        assertEquals(0, send.code(), send.toString());
        assertTrue(listen.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "listen did not end");
        String out = new String(listen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("hello from the archive", out.strip(),
                out + new String(listen.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, listen.exitValue());
    }

    @Test
    void benchIsMissingUntilItsArchiveIsUnpackedOverTheFirst() throws Exception {
        Path conduit = home().resolve("bin/conduit");
        Result missing = run(conduit, "bench", "--transport", "unix", "--size", "64");
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().startsWith("conduit: bench is not installed here"), missing.toString());
        assertFalse(Files.exists(home().resolve("lib/aeron-all.jar")), "the CLI carries the bench's libraries");

        untar(archive("conduit-bench-"), root.resolve("home"));
        Result bench = run(conduit, "bench", "--transport", "unix", "--size", "64", "--messages", "200",
                "--warmup", "0ms", "--no-baselines");
        assertEquals(0, bench.code(), bench.toString());
        assertTrue(bench.out().lines().anyMatch(l -> l.matches("unix +64 B .*")), bench.toString());
    }

    private Path home() {
        return root.resolve("home").resolve("conduit-" + System.getProperty("conduit.version"));
    }

    private static Path archive(String prefix) throws IOException {
        Path dir = Path.of(System.getProperty("conduit.archiveDir"));
        String version = System.getProperty("conduit.version");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(prefix + version + "-linux-")
                    && f.toString().endsWith(".tar.gz")).toList();
            if (found.size() != 1) {
                fail("expected one " + prefix + version + "-linux-*.tar.gz in " + dir + ", found " + found);
            }
            return found.getFirst();
        }
    }

    private void untar(Path archive, Path into) throws Exception {
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", into.toString())
                .redirectErrorStream(true).start();
        String said = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tar.waitFor(60, TimeUnit.SECONDS), "tar did not end");
        assertEquals(0, tar.exitValue(), said);
    }

    private Process start(Path conduit, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", conduit.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", tools.toString());
        env.put("HOME", root.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        started.add(p);
        return p;
    }

    private Result run(Path conduit, String... args) throws Exception {
        Process p = start(conduit, args);
        // Both streams at once, so a child that fills one pipe is never stuck while the other is read.
        StringBuilder errText = new StringBuilder();
        Thread err = Thread.ofVirtual().start(() -> {
            try {
                errText.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                errText.append(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("bin/conduit " + String.join(" ", args) + " did not end within " + RUN_TIMEOUT);
        }
        err.join();
        return new Result(p.exitValue(), out, errText.toString());
    }

    private record Result(int code, String out, String err) {
    }
}
