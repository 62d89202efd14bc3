package dev.conduit.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * Finds {@code conduit bench}, which lives in the conduit-bench module with libraries (Aeron,
 * JeroMQ, JMH, Chronicle Queue) that the other commands must not carry. In order: on this class
 * path (the CLI's tests); in the jars the system property {@value #PATH} names (folders stand
 * for the jars in them; {@code bin/conduit} sets it in a source checkout); in {@code bench}
 * beside the CLI's jar ({@code lib/bench} in the release archive), where the bench's archive
 * unpacks. Without them, {@code bench} is a command that says where to get it.
 */
final class BenchLoader {
    /** System property: the bench's jars, or folders of them, separated by the path separator. */
    static final String PATH = "conduit.bench.path";
    private static final String COMMAND = "dev.conduit.bench.BenchCommand";
    /** Read by the bench: the class path its child JVMs need, the CLI's and the bench's jars. */
    private static final String CHILD_CLASS_PATH = "conduit.bench.classpath";

    private BenchLoader() {
    }

    /** @return the {@code bench} command object for picocli: the real one, or {@link Missing} */
    static Object command() {
        try {
            return instantiate(Class.forName(COMMAND, true, BenchLoader.class.getClassLoader()));
        } catch (ClassNotFoundException e) {
            // Not on the class path: look for its jars.
        }
        List<Path> jars = jars();
        if (jars.isEmpty()) {
            return new Missing(places());
        }
        URL[] urls = jars.stream().map(BenchLoader::url).toArray(URL[]::new);
        // Never closed: the command's classes are in use until the JVM exits.
        @SuppressWarnings("resource")
        URLClassLoader loader = new URLClassLoader("conduit-bench", urls, BenchLoader.class.getClassLoader());
        StringBuilder classPath = new StringBuilder(System.getProperty("java.class.path"));
        jars.forEach(j -> classPath.append(File.pathSeparator).append(j));
        System.setProperty(CHILD_CLASS_PATH, classPath.toString());
        try {
            return instantiate(Class.forName(COMMAND, true, loader));
        } catch (ClassNotFoundException e) {
            return new Missing(places() + " (jars found there, but without " + COMMAND + ": " + jars + ")");
        }
    }

    private static Object instantiate(Class<?> type) {
        try {
            return type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make " + COMMAND + ": " + e, e);
        }
    }

    /** @return the jars of every place named: a jar itself, or the jars in a folder */
    private static List<Path> jars() {
        List<Path> found = new ArrayList<>();
        for (Path place : candidates()) {
            if (Files.isDirectory(place)) {
                try (Stream<Path> files = Files.list(place)) {
                    files.filter(f -> f.toString().endsWith(".jar")).sorted().forEach(found::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("conduit bench: cannot list " + place, e);
                }
            } else if (Files.isRegularFile(place)) {
                found.add(place);
            }
        }
        return found;
    }

    private static List<Path> candidates() {
        String property = System.getProperty(PATH);
        if (property != null && !property.isBlank()) {
            return Stream.of(property.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
        }
        Path home = cliHome();
        return home == null ? List.of() : List.of(home.resolve("bench"));
    }

    private static String places() {
        List<Path> places = candidates();
        return places.isEmpty() ? "no place to look (the CLI's jar was not found)" : "looked in " + places;
    }

    /** @return the folder of the jar this class came from, or null when it runs from classes */
    private static Path cliHome() {
        try {
            Path location = Path.of(BenchLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(location) ? location.getParent() : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(jar + ": " + e.getMessage(), e);
        }
    }

    /** {@code conduit bench} where the bench is not installed: says so, and how to get it. */
    @Command(name = "bench", description = "Measure transports against peers and C baselines (needs the bench:"
            + " conduit-bench's archive, unpacked over this one).")
    static final class Missing implements Callable<Integer> {
        private final String where;
        /** Whatever the user asked the bench for: the answer is the same. */
        @Unmatched
        private List<String> arguments;

        Missing(String where) {
            this.where = where;
        }

        @Override
        public Integer call() {
            throw new IllegalStateException("bench is not installed here (" + where + "): unpack the"
                    + " conduit-bench archive of this version over this folder (it adds lib/bench), or run"
                    + " bin/conduit in a source checkout");
        }
    }
}
