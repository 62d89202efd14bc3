package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.testing.ModulePathApp;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A user's application as a named module on the module path ({@link ModulePathApp}) runs over
 * {@code nats://}: module {@code dev.conduit.nats}, which the service loader finds, with jnats
 * (an automatic module) and its dependencies beside it; nothing warns.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NatsModulePathTest {
    @Test
    void anApplicationOnTheModulePathRunsOverNats() throws Exception {
        try (TempDir dir = new TempDir();
             NatsServer server = NatsServer.start()) {
            List<Path> modules = new ArrayList<>();
            modules.add(ModulePathApp.codeSource(Conduit.class));
            modules.add(ModulePathApp.codeSource(Class.forName("dev.conduit.nats.internal.NatsTransport")));
            modules.add(ModulePathApp.codeSource(io.nats.client.Nats.class));
            modules.addAll(ModulePathApp.classPathJars("bcprov-"));
            modules.addAll(ModulePathApp.classPathJars("jspecify-"));
            ModulePathApp.runsOver(dir.path(), modules, server.url("modpath"));
        }
    }
}
