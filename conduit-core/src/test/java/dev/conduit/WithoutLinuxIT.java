package dev.conduit;

import dev.conduit.internal.posix.Native;
import dev.conduit.internal.posix.Shm;
import dev.conduit.queue.MessageQueue;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conduit as it is on an OS that is not Linux: this JVM pretends so before anything in Conduit
 * touches the OS, so every Linux-only facility is unavailable and binds nothing. The portable
 * transports then pass their whole test classes, contracts included; every class of the core
 * loads; and each Linux-only transport says what it is missing.
 *
 * <p>Runs in a JVM of its own (surefire's {@code without-linux} execution): a JVM cannot stop
 * pretending, and one that has bound a Linux function cannot start.
 */
class WithoutLinuxIT {
    static {
        Native.pretendNotLinux();
    }

    private static final String MISSING = "needs Linux on x86-64 or AArch64; this is a test pretending not to be Linux";

    @Test
    void aLinuxOnlyCallThrowsInsteadOfCallingLinux() {
        assertFalse(Native.isLinux());
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> Shm.unlink("/nolinux"));
        assertEquals("shm_unlink: shm_unlink " + MISSING, e.getMessage());
    }

    @Test
    void everyClassOfTheCoreLoads() throws Exception {
        Set<String> exported = Set.of("dev.conduit", "dev.conduit.channel", "dev.conduit.pattern", "dev.conduit.queue",
                "dev.conduit.spi", "dev.conduit.spi.support");
        List<String> names = coreClassNames();
        int publicApi = 0;
        for (String name : names) {
            Class<?> c = Class.forName(name, true, Conduit.class.getClassLoader());
            if (exported.contains(c.getPackageName()) && Modifier.isPublic(c.getModifiers())) {
                publicApi++;
            }
        }
        assertTrue(names.size() > 150, "found only " + names.size() + " classes");
        assertTrue(publicApi > 50, "found only " + publicApi + " public API classes");
    }

    @Test
    void linuxOnlyTransportsSayWhatIsMissing() throws Exception {
        try (TempDir dir = new TempDir()) {
            String log = "log:" + dir.resolve("log");
            String fifo = "fifo:" + dir.resolve("f");
            String sock = dir.resolve("a.sock").toString();
            unavailable("shm:nolinux", () -> Conduit.listen("shm:nolinux"));
            unavailable("shm:nolinux", () -> Conduit.connect("shm:nolinux"));
            unavailable("shmfan:nolinux", () -> Conduit.openSender("shmfan:nolinux"));
            unavailable("shmfan:nolinux", () -> Conduit.openReceiver("shmfan:nolinux"));
            unavailable(log, () -> Conduit.openSender(log));
            unavailable(log, () -> Conduit.openReceiver(log));
            unavailable(fifo, () -> Conduit.openReceiver(fifo));
            unavailable(fifo, () -> Conduit.openSender(fifo));
            unavailable("mq:0x7e57", () -> Conduit.openReceiver("mq:0x7e57"));
            unavailable("zipc:/nolinux", () -> Conduit.openReceiver("zipc:/nolinux"));
            unavailable("shared memory 'nolinux'", () -> SharedMemory.create("nolinux", 4096));
            unavailable("mq:0x7e57", () -> MessageQueue.open(0x7e57));
            unavailable("unix:" + sock, () -> Conduit.listen("unix:" + sock + "?ack=ipcez"));
            assertFalse(Files.exists(dir.resolve("a.sock")), "the listener's socket was left behind");
        }
    }

    private static void unavailable(String endpoint, Executable call) {
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class, call, endpoint);
        assertTrue(e.getMessage().startsWith(endpoint), e.getMessage());
        assertTrue(e.getMessage().contains(MISSING), e.getMessage());
    }

    /** @return the binary names of every class in the jar or directory {@link Conduit} came from */
    private static List<String> coreClassNames() throws IOException, URISyntaxException {
        Path where = Path.of(Conduit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(where)) {
            return classNames(where);
        }
        try (FileSystem jar = FileSystems.newFileSystem(where)) {
            return classNames(jar.getPath("/"));
        }
    }

    private static List<String> classNames(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            List<String> names = new ArrayList<>();
            files.map(p -> root.relativize(p).toString())
                    .filter(p -> p.endsWith(".class") && !p.endsWith("module-info.class") && p.startsWith("dev/"))
                    .forEach(p -> names.add(p.substring(0, p.length() - ".class".length()).replace('/', '.')));
            return names;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    // The portable transports' own whole test classes, each as a nested class of this one.

    @Nested
    class Unix extends UnixTransportTest {
    }

    @Nested
    class Tcp extends TcpTransportTest {
    }

    @Nested
    class Pipe extends PipeTransportTest {
    }

    @Nested
    class Mem extends MemTransportTest {
    }

    @Nested
    class SpawnAndStdio extends ProcessTransportTest {
    }

    @Nested
    class SessionsOverUnix extends SessionContract {
        @Override
        protected String endpoint(String options) {
            return "unix:" + dir().resolve("s" + System.nanoTime() % 100000 + ".sock") + "?" + options;
        }
    }

    @Nested
    class ServingOverUnix extends ServeContract {
        @Override
        protected String endpoint() throws IOException {
            return "unix:" + track(new TempDir()).resolve("s.sock");
        }
    }
}
