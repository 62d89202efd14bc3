package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.testing.ModulePathApp;
import dev.conduit.testing.TempDir;
import dev.conduit.websocket.internal.WebSocketTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A user's application as a named module on the module path ({@link ModulePathApp}) runs over
 * {@code unix:}, {@code shm:} and {@code ws://} (module {@code dev.conduit.websocket}, which the
 * service loader finds, with Netty's modules), and nothing warns.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModulePathTest {
    @Test
    void anApplicationOnTheModulePathRunsOverUnixShmAndWebSocket() throws Exception {
        try (TempDir dir = new TempDir()) {
            List<Path> modules = new ArrayList<>();
            modules.add(ModulePathApp.codeSource(Conduit.class));
            modules.add(ModulePathApp.codeSource(WebSocketTransport.class));
            modules.addAll(ModulePathApp.classPathJars("netty-"));
            String shm = "shm:modpath" + ProcessHandle.current().pid();
            try {
                ModulePathApp.runsOver(dir.path(), modules, "unix:" + dir.resolve("app.sock"), shm,
                        "ws://127.0.0.1:0/app");
            } finally {
                removeShmFiles(shm.substring("shm:".length()));
            }
        }
    }

    /** A killed application leaves its rings in {@code /dev/shm}. */
    private static void removeShmFiles(String name) throws IOException {
        try (var files = Files.list(Path.of("/dev/shm"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().contains(name)).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
