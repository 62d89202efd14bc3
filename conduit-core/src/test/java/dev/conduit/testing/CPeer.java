package dev.conduit.testing;

import dev.conduit.internal.posix.Shm;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** C peers from {@code interop/c}, built with the gcc on {@code PATH} for the tests that run them. */
public final class CPeer {
    private CPeer() {
    }

    /**
     * Builds {@code binary} from {@code interop/c/} sources, or says why not.
     *
     * @return why the peer cannot run here (no shared memory, no gcc), printed for the skipped
     *         tests, or {@code null} once built
     * @throws AssertionError if gcc fails: a peer that does not build is a failure, not a skip
     */
    public static String build(Class<?> test, Path binary, String... sources) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>();
        Optional<Path> gcc = onPath("gcc");
        String unavailable = Shm.unavailability()
                .orElse(gcc.isEmpty() ? "gcc not found on PATH; " + String.join(", ", sources) + " cannot be built"
                        : null);
        if (unavailable != null) {
            System.err.println(test.getSimpleName() + " skipped: " + unavailable);
            return unavailable;
        }
        command.addAll(List.of(gcc.get().toString(), "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o",
                binary.toString()));
        for (String file : sources) {
            command.add(source(file).toString());
        }
        command.add("-lrt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gcc did not finish within 60 s");
        assertEquals(0, p.exitValue(), "gcc could not build " + command + ":\n" + output);
        return null;
    }

    /** @return {@code interop/c/FILE}, found from the working directory upwards */
    public static Path source(String file) {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path source = dir.resolve("interop").resolve("c").resolve(file);
            if (Files.isRegularFile(source)) {
                return source;
            }
        }
        throw new AssertionError("interop/c/" + file + " not found in " + start + " or any directory above it");
    }

    private static Optional<Path> onPath(String program) {
        String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
        return Arrays.stream(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, program)).filter(Files::isExecutable).findFirst();
    }
}
