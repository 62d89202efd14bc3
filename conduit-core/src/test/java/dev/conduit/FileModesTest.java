package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every filesystem object Conduit makes is the owner's alone whatever the process's umask: a
 * child JVM started under a lax umask (000, where a careless 0666 would be world-writable) and
 * under a strict one (0377, where a careless 0600 would be read-only, and the peer's read-write
 * open would fail) makes a socket, a FIFO, a log, a named shared-memory segment and an shm:
 * connection, and reports their modes.
 */
class FileModesTest {
    @ParameterizedTest
    @ValueSource(strings = {"000", "0377"})
    void everyObjectIsTheOwnersAloneWhateverTheUmask(String umask) throws Exception {
        try (TempDir dir = new TempDir()) {
            List<String> command = new ArrayList<>(List.of("sh", "-c", "umask " + umask + " && exec \"$@\"", "sh"));
            command.addAll(ChildJvm.command(MakeEverything.class, dir.path().toString()));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output;
            try {
                output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ended");
            } finally {
                child.destroyForcibly();
            }
            assertEquals(0, child.exitValue(), output);
            Map<String, String> modes = new TreeMap<>();
            output.lines().filter(l -> l.startsWith("mode ")).forEach(l -> {
                String[] parts = l.split(" ");
                modes.put(parts[1], parts[2]);
            });
            assertEquals(Map.of(
                    "fifo", "rw-------",
                    "log-directory", "rwx------",
                    "log-segment", "rw-------",
                    "shared-memory", "rw-------",
                    "unix-socket", "rw-------"), modes, output);
            assertTrue(output.contains("shm round trip: ok"), output);
        }
    }

    /** The child: makes each kind of object in the directory {@code args[0]} and prints its mode. */
    public static final class MakeEverything {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Path socket = dir.resolve("s.sock");
            try (Listener listener = Conduit.listen("unix:" + socket)) {
                print("unix-socket", Path.of(listener.endpoint().address()));
            }
            Path fifo = dir.resolve("f.fifo");
            Fifo.create(fifo);
            print("fifo", fifo);
            Fifo.remove(fifo);
            Path log = dir.resolve("log");
            try (MessageSender sender = Conduit.openSender("log:" + log)) {
                sender.send("x");
            }
            print("log-directory", log);
            try (Stream<Path> files = Files.list(log)) {
                print("log-segment", files.filter(Files::isRegularFile).findFirst().orElseThrow());
            }
            String name = "conduit-modes-" + ProcessHandle.current().pid();
            try (SharedMemory memory = SharedMemory.create(name, 4096)) {
                print("shared-memory", Path.of("/dev/shm", memory.name()));
            } finally {
                SharedMemory.unlink(name);
            }
            // The listener makes the ring's object and the client opens it read-write: under a
            // umask that takes the owner's write bit, that open fails unless the mode is set.
            String ring = "shm:modes-" + ProcessHandle.current().pid();
            try (Listener listener = Conduit.listen(ring);
                 Connection client = Conduit.connect(ring, Duration.ofSeconds(10));
                 Connection server = listener.accept(Duration.ofSeconds(10))) {
                client.send("ping");
                System.out.println("shm round trip: " + ("ping".equals(server.receiveString(Duration.ofSeconds(10)))
                        ? "ok" : "wrong"));
            }
        }

        private static void print(String what, Path path) throws IOException {
            System.out.println("mode " + what + " " + PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
        }
    }
}
