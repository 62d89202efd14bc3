package dev.conduit;

import dev.conduit.internal.posix.Users;
import dev.conduit.testing.OtherUsers;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code allowUsers}/{@code allowGroups} on {@code unix:}, {@code pipe:} and {@code shm:}
 * listeners, with the client a child JVM running as another user ({@code nobody}, through
 * {@code setpriv}). Only root can start such a child, so elsewhere the tests are skipped, saying
 * why. The child cannot read root's Maven repository or build tree, so it runs from a world-readable
 * copy of Conduit's classes and this test's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PeerCredentialsTest {
    private static final int NOBODY = OtherUsers.NOBODY;

    private static OtherUsers users;

    @BeforeAll
    static void copyClassesForAnotherUser() throws IOException, URISyntaxException {
        users = OtherUsers.forTest(PeerCredentialsTest.class);
    }

    @AfterAll
    static void removeCopies() throws IOException {
        if (users != null) {
            users.close();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "unix, allowUsers=" + NOBODY,
        "pipe, allowUsers=" + NOBODY,
        "shm, allowUsers=" + NOBODY,
        "unix, allowUsers=0&allowGroups=" + NOBODY,
        "pipe, allowUsers=0&allowGroups=" + NOBODY,
        "shm, allowUsers=0&allowGroups=" + NOBODY,
    })
    void aListedUserOrGroupGetsInAndIsNamed(String transport, String rules) throws Exception {
        try (TempDir dir = OtherUsers.openDir(); Listener listener = Conduit.listen(endpoint(transport, dir,
                "mode=0666&" + rules))) {
            CompletableFuture<String> served = serveOne(listener);
            String output = runAsNobody(listener.endpoint(), "hello");
            assertEquals("echo hello", output.strip(), output);
            assertEquals(Users.userName(NOBODY).orElseThrow(), served.get(30, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "pipe", "shm"})
    void anUnlistedUserIsRefusedAndNeverAccepted(String transport) throws Exception {
        try (TempDir dir = OtherUsers.openDir(); Listener listener = Conduit.listen(endpoint(transport, dir,
                "mode=0666&allowUsers=0&allowGroups=0"))) {
            // A peer is refused when accept takes it from the backlog, so accept runs meanwhile.
            CompletableFuture<String> served = serveOne(listener);
            String output = runAsNobody(listener.endpoint(), "hello");
            assertTrue(output.startsWith("refused "), output);
            // The listener still serves the users it lists, and the first it accepts is one of them.
            try (Connection me = Conduit.connect(listener.endpoint().toString())) {
                me.send("mine");
                assertEquals("mine", new String(me.receive(Duration.ofSeconds(10)), StandardCharsets.UTF_8));
            }
            assertEquals(Users.userName(0).orElseThrow(), served.get(30, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "pipe", "shm"})
    void withoutAModeForOthersTheSocketRefusesThemFirst(String transport) throws Exception {
        try (TempDir dir = OtherUsers.openDir(); Listener listener = Conduit.listen(endpoint(transport, dir,
                "allowUsers=" + NOBODY))) {
            String output = runAsNobody(listener.endpoint(), "hello");
            assertTrue(output.startsWith("refused ") && output.contains(": connect: permission denied: "), output);
            assertNull(listener.accept(Duration.ofMillis(200)), "a refused peer reached accept");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"unix", "shm"})
    void betweenTwoUsersNeitherOfThemRoot(String transport) throws Exception {
        // Root may hand a ring to its peer; anyone else can only share it through the socket's mode.
        int server = 40001;
        int client = 40002;
        try (TempDir dir = OtherUsers.openDir()) {
            Files.setPosixFilePermissions(dir.path(), PosixFilePermissions.fromString("rwxrwxrwx"));
            // The client trusts the listener's user by name: neither is the other, nor root.
            String endpoint = endpoint(transport, dir, "mode=0666&allowUsers=" + client + "&serverUsers=" + server);
            Process listener = users.as(server, Server.class, endpoint).start();
            try {
                int ready = listener.getInputStream().read();
                if (ready != 'R') {
                    listener.destroyForcibly();
                    throw new AssertionError("the listener running as " + server + " did not start: " + (char) ready
                            + new String(listener.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                }
                String output = OtherUsers.output(users.as(client, Client.class, endpoint, "hello").start());
                assertEquals("echo hello", output.strip(), output);
                String served = new String(listener.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals("served " + client, served.strip());
            } finally {
                listener.destroyForcibly();
                listener.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** @return an endpoint of {@code transport} with the query {@code options} */
    private static String endpoint(String transport, TempDir dir, String options) {
        long pid = ProcessHandle.current().pid();
        return switch (transport) {
            case "unix" -> "unix:" + dir.resolve("peer.sock") + "?" + options;
            case "pipe" -> "pipe:conduit-peer-" + pid + "?" + options;
            default -> "shm:conduit-peer-" + pid + "?" + options;
        };
    }

    /** Accepts one connection, echoes one message, and completes with the peer's user. */
    private static CompletableFuture<String> serveOne(Listener listener) {
        CompletableFuture<String> served = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                if (c == null) {
                    served.completeExceptionally(new AssertionError("nobody connected within 60 s"));
                    return;
                }
                c.send(c.receive(Duration.ofSeconds(30)));
                served.complete(c.peerCredentials().orElseThrow().user());
            } catch (Throwable e) {
                served.completeExceptionally(e);
            }
        });
        return served;
    }

    /** @return what the client, run as nobody:nogroup, printed */
    private static String runAsNobody(Endpoint endpoint, String message) throws Exception {
        return OtherUsers.output(users.as(NOBODY, Client.class, endpoint.toString(), message).start());
    }

    /**
     * The listener of {@link #betweenTwoUsersNeitherOfThemRoot}: listens on {@code args[0]}, writes
     * {@code R}, echoes one message of the first peer and prints {@code served USER}.
     */
    public static final class Server {
        public static void main(String[] args) throws IOException {
            try (Listener listener = Conduit.listen(args[0])) {
                System.out.write('R');
                System.out.flush();
                try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                    c.send(c.receive(Duration.ofSeconds(30)));
                    System.out.println("served " + c.peerCredentials().orElseThrow().user());
                }
            }
        }
    }

    /**
     * The client: connects to {@code args[0]} (waiting up to {@code args[2]} seconds, 10 if not given),
     * sends {@code args[1]} and prints {@code echo ANSWER}, or {@code refused WHY} if it could not
     * connect or the listener closed on it.
     */
    public static final class Client {
        public static void main(String[] args) {
            Duration wait = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 10);
            try (Connection c = Conduit.connect(args[0], wait)) {
                c.send(args[1]);
                byte[] answer = c.receive(Duration.ofSeconds(30));
                System.out.println(answer == null ? "no answer in 30 s"
                        : "echo " + new String(answer, StandardCharsets.UTF_8));
            } catch (IOException e) {
                System.out.println("refused " + e);
            }
        }
    }
}
