package dev.conduit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module exports API packages only (internals to nobody, not even its WebSocket module) and needs nothing outside the JDK. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ModuleDescriptorTest {
    private static ModuleDescriptor descriptor() throws Exception {
        Path classes = Path.of(Conduit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    @Test
    void exportsOnlyTheApi() throws Exception {
        ModuleDescriptor d = descriptor();
        assertEquals("dev.conduit", d.name());
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(Set.of("dev.conduit", "dev.conduit.channel", "dev.conduit.pattern", "dev.conduit.queue",
                "dev.conduit.spi", "dev.conduit.spi.support"), exported);
        assertTrue(d.packages().stream().filter(p -> p.contains(".internal")).noneMatch(exported::contains));
        // conduit-websocket is built on exported API, as a transport from any other jar would be.
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), d.exports().toString());
    }

    @Test
    void requiresNothingButTheJdk() throws Exception {
        Set<String> required = descriptor().requires().stream().map(ModuleDescriptor.Requires::name)
                .collect(Collectors.toSet());
        assertEquals(Set.of("java.base", "jdk.jfr", "jdk.net"), required);
    }
}
