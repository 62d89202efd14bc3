package dev.conduit.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's application as a named module on the module path, not the class path, granted native
 * access for {@code dev.conduit} alone: it listens on each endpoint given, connects, and sends a
 * message each way ({@code src/test/resources/module-path-app}). The module-path tests of the
 * transport modules run it with their modules beside core's, and check that it worked and that
 * nothing warned.
 */
public final class ModulePathApp {
    private static final String APP = "module-path-app";

    private ModulePathApp() {
    }

    /**
     * Compiles the application and runs it over {@code endpoints}, in a child JVM killed
     * whatever happens.
     *
     * @param dir       where the application is compiled
     * @param modules   the module path besides the application: core's classes or jar, and the
     *                  transport modules with their dependencies
     * @param endpoints the endpoints to listen on, one after another
     * @throws AssertionError if it failed, printed anything but {@code ok SCHEME} lines, or the
     *                        JVM warned
     */
    public static void runsOver(Path dir, List<Path> modules, String... endpoints) throws Exception {
        Path app = compile(dir.resolve("app"), modules.getFirst());
        List<Path> path = new ArrayList<>(modules);
        path.addFirst(app);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=dev.conduit", "--module-path", String.join(java.io.File.pathSeparator,
                path.stream().map(Path::toString).toList()), "-m", "conduit.example/example.Main"));
        command.addAll(List.of(endpoints));
        Process child = new ProcessBuilder(command).start();
        try {
            CompletableFuture<String> err = drain(child.getErrorStream());
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the application did not end");
            String errors = err.get(10, TimeUnit.SECONDS);
            assertEquals(0, child.exitValue(), "exit status; stdout:\n" + out + "stderr:\n" + errors);
            StringBuilder expected = new StringBuilder("module dev.conduit, named true\n");
            for (String e : endpoints) {
                expected.append("ok ").append(e, 0, e.indexOf(':')).append('\n');
            }
            assertEquals(expected.toString(), out);
            assertFalse(errors.contains("WARNING"), "the JVM warned:\n" + errors);
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * @param c a class
     * @return the directory or jar it was loaded from
     */
    public static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * @param prefix the start of a jar's file name, e.g. {@code netty-}
     * @return the jars on this JVM's class path whose names start so
     */
    public static List<Path> classPathJars(String prefix) {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith(prefix))
                .toList();
    }

    /** @return the directory the application's module was compiled into */
    private static Path compile(Path out, Path core) throws IOException {
        Path sources = out.resolveSibling("app-src");
        for (String file : List.of("module-info.java", "example/Main.java")) {
            try (InputStream in = ModulePathApp.class.getResourceAsStream("/" + APP + "/" + file)) {
                Path target = sources.resolve(file);
                java.nio.file.Files.createDirectories(target.getParent());
                java.nio.file.Files.write(target, in.readAllBytes());
            }
        }
        // The JDK's javac as a process: core's tests are a patched dev.conduit, which does not read java.compiler.
        Process javac = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-d", out.toString(), "--module-path", core.toString(), "-Xlint:all", "-Werror",
                sources.resolve("module-info.java").toString(), sources.resolve("example/Main.java").toString())
                .redirectErrorStream(true).start();
        String messages = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertTrue(javac.waitFor(60, TimeUnit.SECONDS) && javac.exitValue() == 0, "javac:\n" + messages);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while javac ran", e);
        } finally {
            javac.destroyForcibly();
        }
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
