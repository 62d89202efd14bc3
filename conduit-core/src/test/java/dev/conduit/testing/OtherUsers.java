package dev.conduit.testing;

import dev.conduit.Conduit;
import dev.conduit.internal.posix.Users;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Child JVMs running as another user ({@code nobody}, or a bare uid), through {@code setpriv}.
 * Only root can start them. They cannot read root's Maven repository or build tree, so they run
 * from a world-readable copy of Conduit's classes and the test classes, made once and removed on
 * {@link #close()}.
 */
public final class OtherUsers implements AutoCloseable {
    /** The uid of {@code nobody}. */
    public static final int NOBODY = 65534;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private final TempDir classes;
    private final String classPath;

    private OtherUsers(TempDir classes, String classPath) {
        this.classes = classes;
        this.classPath = classPath;
    }

    /** @return why no child can run as another user here, or empty if one can */
    public static Optional<String> unavailable() {
        return Optional.ofNullable(Users.getuid() != 0 ? "the tests run as uid " + Users.getuid()
                + ", not root, so they cannot start a process as another user"
                : !Files.isExecutable(SETPRIV) ? "there is no " + SETPRIV + " to start a process as another user"
                : Users.userName(NOBODY).isEmpty() ? "this system has no user " + NOBODY + " to run a process as"
                : null);
    }

    /**
     * For a test class's set-up: skips the calling test (saying why on standard error) where no
     * child can run as another user, and otherwise copies the classes as {@link #copyClasses} does.
     *
     * @param testClass the test class, named in the skip line; its tree is copied
     * @return the copies, to start children from; close them when the class is done
     * @throws IOException if copying fails
     */
    public static OtherUsers forTest(Class<?> testClass) throws IOException, URISyntaxException {
        String why = unavailable().orElse(null);
        if (why != null) {
            System.err.println(testClass.getSimpleName() + " skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
        return copyClasses(testClass);
    }

    /**
     * Copies the classes of Conduit and of {@code testClass}'s tree where any user may read them.
     *
     * @param testClass a class of the test classes' tree
     * @return the copies, to start children from
     * @throws IOException if copying fails
     */
    public static OtherUsers copyClasses(Class<?> testClass) throws IOException, URISyntaxException {
        TempDir classes = openDir();
        List<String> entries = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {Conduit.class, testClass}) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path to = classes.resolve(entries.size() + "");
            copyOpen(from, to);
            entries.add(to.toString());
        }
        return new OtherUsers(classes, String.join(":", entries));
    }

    /** @return a builder for {@code main} in a JVM running as user and group {@code id}, stderr into stdout */
    public ProcessBuilder as(int id, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=" + id, "--regid=" + id,
                "--clear-groups", "--"));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
                "-Duser.home=/tmp", "-cp", classPath, main.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /** @return what {@code child} printed, once it has ended (it is killed if it has not within 60 s) */
    public static String output(Process child) throws Exception {
        try {
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ended");
            return output;
        } finally {
            child.destroyForcibly();
        }
    }

    /** @return a fresh directory others may enter (0755), for a socket they are to reach */
    public static TempDir openDir() throws IOException {
        TempDir dir = new TempDir();
        open(dir.path());
        return dir;
    }

    @Override
    public void close() throws IOException {
        classes.close();
    }

    private static void open(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static void copyOpen(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    open(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
    }
}
