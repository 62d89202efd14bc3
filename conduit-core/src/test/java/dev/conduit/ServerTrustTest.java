package dev.conduit;

import dev.conduit.testing.OtherUsers;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients of {@code unix:}, {@code pipe:} and {@code shm:} check who listens: a listener of
 * another user ({@code nobody}, started through {@code setpriv}, so only as root; elsewhere those
 * tests are skipped, saying why) squats a name, and this process's client refuses it before
 * sending a byte unless {@code ?serverUsers=} names that user. A {@code pipe:} or {@code shm:}
 * name, and a {@code unix:} socket in a sticky shared directory, are refused by the socket file's
 * owner before connecting; a {@code unix:} socket in the squatter's own directory by the
 * listener's {@code SO_PEERCRED} once connected.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServerTrustTest {
    private static final String NOBODY_NAME = "nobody";
    private static OtherUsers users;

    private static OtherUsers users() throws Exception {
        if (users == null) {
            users = OtherUsers.forTest(ServerTrustTest.class);
        }
        return users;
    }

    @AfterAll
    static void removeCopies() throws IOException {
        if (users != null) {
            users.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"pipe", "shm", "unix-shared", "unix-own-dir"})
    void aSquattersListenerIsRefusedBeforeAnyByteAndTrustedWhenNamed(String place) throws Exception {
        OtherUsers others = users();
        long pid = ProcessHandle.current().pid();
        try (TempDir dir = new TempDir()) {
            // A sticky directory every user may write to, like /tmp; or one that belongs to the squatter.
            Files.setPosixFilePermissions(dir.path(), PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setAttribute(dir.path(), "unix:mode", place.equals("unix-shared") ? 01777 : 0755);
            if (place.equals("unix-own-dir")) {
                Files.setAttribute(dir.path(), "unix:uid", OtherUsers.NOBODY);
            }
            String endpoint = switch (place) {
                case "pipe" -> "pipe:conduit-squat-" + pid;
                case "shm" -> "shm:conduit-squat-" + pid;
                default -> "unix:" + dir.resolve("squat.sock");
            };
            Path socket = place.equals("pipe") ? Path.of("/tmp/CoreFxPipe_conduit-squat-" + pid)
                    : place.equals("shm") ? Path.of("/tmp/conduit-shm-conduit-squat-" + pid)
                    : dir.resolve("squat.sock");
            Process squatter = others.as(OtherUsers.NOBODY, Squatter.class, endpoint + "?mode=0666").start();
            try {
                int ready = squatter.getInputStream().read();
                if (ready != 'R') {
                    throw new AssertionError("the squatter did not start: " + (char) ready
                            + OtherUsers.output(squatter));
                }

                IOException refused = assertThrows(IOException.class, () -> sendOne(endpoint, "secret"));
                String expected = place.equals("unix-own-dir")
                        ? endpoint + ": connect: the listener runs as nobody (uid 65534), not as root;"
                                + " add ?serverUsers=nobody to trust it"
                        : endpoint + ": connect: " + socket + " is owned by nobody (uid 65534), not by root, in "
                                + socket.getParent() + ", which every user may write to;"
                                + " add ?serverUsers=nobody to trust it";
                assertEquals(expected, refused.getMessage());

                assertEquals("echo trusted", sendOne(endpoint + "?serverUsers=" + NOBODY_NAME, "trusted"));
                // The squatter prints each connection it served: the refused one never reached it with a byte.
                String seen = OtherUsers.output(squatter).strip();
                String before = place.equals("unix-own-dir") ? "closed before a message\n" : "";
                assertEquals(before + "got trusted", seen);
            } finally {
                squatter.destroyForcibly();
                squatter.waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(socket);
            }
        }
    }

    @Test
    void aClientTalksToItsOwnUsersListenerInASharedDirectory() throws Exception {
        try (TempDir dir = new TempDir()) {
            Files.setAttribute(dir.path(), "unix:mode", 01777);
            String endpoint = "unix:" + dir.resolve("mine.sock");
            try (Listener listener = Conduit.listen(endpoint)) {
                Thread.ofVirtual().start(() -> {
                    try (Connection c = listener.accept(Duration.ofSeconds(30))) {
                        c.send(c.receive(Duration.ofSeconds(30)));
                    } catch (IOException e) {
                        // The client's assertion says what went wrong.
                    }
                });
                assertEquals("echo mine", sendOne(endpoint, "mine"));
            }
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void permissionDeniedIsSaidAtOnceNotRetriedForTheTimeOut() throws Exception {
        OtherUsers others = users();
        try (TempDir dir = OtherUsers.openDir(); Listener listener = Conduit.listen("unix:" + dir.resolve("p.sock"))) {
            Path socket = dir.resolve("p.sock");
            // The client waits up to 30 s, this test 20: only a refusal said at once passes.
            String output = OtherUsers.output(others.as(OtherUsers.NOBODY, PeerCredentialsTest.Client.class,
                    listener.endpoint().toString(), "hello", "30").start());
            assertEquals("refused java.io.IOException: " + listener.endpoint() + ": connect: permission denied: "
                    + socket + " is owned by root (uid 0) with mode 0600 (rw-------), which does not let nobody"
                    + " (uid 65534) write to it; the listener's ?mode= says who may connect", output.strip());
        }
    }

    @Test
    void anUnknownServerUserIsAnErrorWhenTheClientStarts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect("pipe:x?serverUsers=no-such-user-xyz"));
        assertEquals("endpoint 'pipe:x?serverUsers=no-such-user-xyz': serverUsers names no-such-user-xyz,"
                + " but this system has no such user", e.getMessage());
    }

    /** @return {@code echo ANSWER}: connects, sends {@code message} and reads the answer */
    private static String sendOne(String endpoint, String message) throws IOException {
        try (Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10))) {
            c.send(message);
            return "echo " + new String(c.receive(Duration.ofSeconds(30)), StandardCharsets.UTF_8);
        }
    }

    /**
     * A listener run as another user: listens on {@code args[0]}, writes {@code R}, then prints a
     * line for each connection (what it got, or that it closed first) and echoes the first message.
     */
    public static final class Squatter {
        public static void main(String[] args) throws IOException {
            try (Listener listener = Conduit.listen(args[0])) {
                System.out.write('R');
                System.out.flush();
                while (true) {
                    try (Connection c = listener.accept(Duration.ofSeconds(60))) {
                        if (c == null) {
                            System.out.println("nobody connected in 60 s");
                            return;
                        }
                        byte[] message = c.receive(Duration.ofSeconds(30));
                        if (message == null) {
                            System.out.println("no message in 30 s");
                            return;
                        }
                        System.out.println("got " + new String(message, StandardCharsets.UTF_8));
                        c.send(message);
                        return;
                    } catch (ConnectionClosedException e) {
                        System.out.println("closed before a message");
                    }
                }
            }
        }
    }
}
