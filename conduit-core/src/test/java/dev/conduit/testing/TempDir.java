package dev.conduit.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A short-named temporary directory under /tmp (socket paths must stay under 108 bytes). */
public final class TempDir implements AutoCloseable {
    private final Path path;

    public TempDir() throws IOException {
        this.path = Files.createTempDirectory(Path.of("/tmp"), "cdt");
    }

    public Path path() {
        return path;
    }

    public Path resolve(String name) {
        return path.resolve(name);
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
