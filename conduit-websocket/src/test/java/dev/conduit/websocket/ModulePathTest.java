package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.testing.TempDir;
import dev.conduit.websocket.internal.WebSocketTransport;
import org.junit.jupiter.api.Test;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's application as a named module on the module path, not the class path, granted native
 * access for {@code dev.conduit} alone: it runs over {@code unix:}, {@code shm:} and
 * {@code ws://} (module {@code dev.conduit.websocket}, which the service loader finds, with
 * Netty's modules), and nothing warns. The application's sources are in {@code src/test/resources/module-path-app}.
 */
class ModulePathTest {
    private static final String APP = "module-path-app";

    @Test
    void anApplicationOnTheModulePathRunsOverUnixShmAndWebSocket() throws Exception {
        try (TempDir dir = new TempDir()) {
            List<Path> modules = new ArrayList<>();
            modules.add(codeSource(Conduit.class));
            modules.add(codeSource(WebSocketTransport.class));
            Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                    .map(Path::of)
                    .filter(p -> p.getFileName().toString().startsWith("netty-"))
                    .forEach(modules::add);
            Path app = compile(dir.resolve("app"), codeSource(Conduit.class));
            modules.add(0, app);
            String modulePath = String.join(java.io.File.pathSeparator, modules.stream().map(Path::toString).toList());

            String shm = "shm:modpath" + ProcessHandle.current().pid();
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=dev.conduit", "--module-path", modulePath,
                    "-m", "conduit.example/example.Main",
                    "unix:" + dir.resolve("app.sock"), shm, "ws://127.0.0.1:0/app").start();
            try {
                CompletableFuture<String> err = drain(child.getErrorStream());
                String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the application did not end");
                String errors = err.get(10, TimeUnit.SECONDS);
                assertEquals(0, child.exitValue(), "exit status; stdout:\n" + out + "stderr:\n" + errors);
                assertEquals("module dev.conduit, named true\nok unix\nok shm\nok ws\n", out);
                assertFalse(errors.contains("WARNING"), "the JVM warned:\n" + errors);
            } finally {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
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

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }


    /** @return the directory the application's module was compiled into */
    private static Path compile(Path out, Path core) throws IOException {
        Path sources = out.resolveSibling("app-src");
        for (String file : List.of("module-info.java", "example/Main.java")) {
            try (InputStream in = ModulePathTest.class.getResourceAsStream("/" + APP + "/" + file)) {
                Path target = sources.resolve(file);
                Files.createDirectories(target.getParent());
                Files.write(target, in.readAllBytes());
            }
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        boolean ok = javac.getTask(new PrintWriter(messages), null, null, List.of("-d", out.toString(),
                "--module-path", core.toString(), "-Xlint:all", "-Werror"), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(
                        sources.resolve("module-info.java"), sources.resolve("example/Main.java"))).call();
        assertTrue(ok, "javac:\n" + messages);
        return out;
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                in.transferTo(bytes);
                return bytes.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(stderr unreadable: " + e + ")";
            }
        });
    }
}
