package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** For a test class: a log in a temporary directory for each test, and the ends it opened, all closed after it. */
abstract class LogFixture {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TempDir dir;
    /** The log's directory. */
    Path path;
    /** {@code log:PATH}, without options. */
    String log;

    @BeforeEach
    final void makeLog() throws IOException {
        dir = new TempDir();
        path = dir.resolve("log");
        log = "log:" + path;
    }

    /** @return {@code resource}, closed after the test */
    final <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /** @return a receiver of the log with {@code query} ({@code ?...} or empty), closed after the test */
    final MessageReceiver receiver(String query) throws IOException {
        return track(Conduit.openReceiver(log + query));
    }

    @AfterEach
    final void cleanUp() throws IOException {
        for (AutoCloseable r : resources.reversed()) {
            try {
                r.close();
            } catch (Exception e) {
                // Cleaning up; the test's assertions decided the outcome.
            }
        }
        dir.close();
    }
}
