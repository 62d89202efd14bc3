package dev.conduit;

import dev.conduit.internal.posix.Users;
import dev.conduit.testing.OtherUsers;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A log made by root (mode 0700) opened by {@code nobody}, through {@code setpriv} as in
 * {@link PeerCredentialsTest} ({@link OtherUsers}; skipped, saying why, unless the tests run as root): the open fails
 * with a message that says why, whatever {@code onDamage} says.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LogPermissionTest {
    private static final int NOBODY = OtherUsers.NOBODY;
    private static OtherUsers users;

    @BeforeAll
    static void copyClassesForAnotherUser() throws IOException, URISyntaxException {
        users = OtherUsers.forTest(LogPermissionTest.class);
    }

    @AfterAll
    static void removeCopies() throws IOException {
        if (users != null) {
            users.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stop", "skip"})
    void aLogNobodyMayNotReadSaysSo(String onDamage) throws Exception {
        try (TempDir dir = new TempDir()) {
            Files.setPosixFilePermissions(dir.path(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Path path = dir.resolve("log");
            try (MessageSender sender = Conduit.openSender("log:" + path)) {
                sender.send("root only");
            }
            String endpoint = "log:" + path + "?from=start&onDamage=" + onDamage;
            String printed = OtherUsers.output(users.as(NOBODY, Reader.class, endpoint).start());
            assertEquals("refused " + endpoint + ": open: " + path + ": permission denied (owned by "
                    + Users.userName(0).orElseThrow() + ", mode rwx------; this process runs as "
                    + Users.userName(NOBODY).orElseThrow() + ")", printed.strip());
        }
    }

    /** Opens a receiver on {@code args[0]} and prints {@code read MESSAGE} or {@code refused WHY}. */
    public static final class Reader {
        public static void main(String[] args) {
            try (MessageReceiver r = Conduit.openReceiver(args[0])) {
                System.out.println("read " + r.tryReceive());
            } catch (IOException e) {
                System.out.println("refused " + e.getMessage());
            }
        }
    }
}
