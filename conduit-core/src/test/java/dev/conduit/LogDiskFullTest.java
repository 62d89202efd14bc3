package dev.conduit;

import dev.conduit.internal.posix.Users;
import dev.conduit.testing.StampedSender;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code log:} on a full disk: a 320 KiB tmpfs (mounting one needs root; elsewhere the test is
 * skipped, saying why), segments of 64 KiB, and a ballast file taking part of the space.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LogDiskFullTest {
    @Test
    void aFullDiskFailsTheSendClearlyLosesNothingAndPassesOnceThereIsRoom() throws Exception {
        String why = Users.getuid() != 0 ? "the tests run as uid " + Users.getuid() + ", not root, so they cannot"
                + " mount a small file system to fill" : null;
        if (why != null) {
            System.err.println("LogDiskFullTest skipped: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
        try (TempDir dir = new TempDir()) {
            Path disk = Files.createDirectory(dir.resolve("disk"));
            mount(disk);
            try {
                Files.write(disk.resolve("ballast"), new byte[96 * 1024]);
                String endpoint = "log:" + disk.resolve("log") + "?segmentSize=64k";
                try (MessageSender sender = Conduit.openSender(endpoint);
                     MessageReceiver receiver = Conduit.openReceiver(endpoint)) {
                    int sent = 0;
                    IOException full = null;
                    while (full == null) {
                        try {
                            sender.send(StampedSender.stamped(1, sent, 1000));
                            sent++;
                        } catch (IOException e) {
                            full = e;
                        }
                        assertTrue(sent < 1000, "320 KiB took 1000 messages of 1 KiB and was not full");
                    }
                    System.out.println("full after " + sent + " messages: " + full.getMessage());
                    assertTrue(full.getMessage().startsWith(endpoint + ": send: ")
                            && full.getMessage().contains("No space left on device"), full.getMessage());
                    for (int i = 0; i < sent; i++) {
                        StampedSender.assertStamped(receiver.receive(Duration.ofSeconds(5)), 1, i);
                    }
                    assertNull(receiver.tryReceive(), "a message the failed send did not send");
                    try (Stream<Path> files = Files.list(disk.resolve("log"))) {
                        List<String> names = files.map(p -> p.getFileName().toString()).toList();
                        assertTrue(names.stream().noneMatch(n -> n.startsWith(".tmp-")),
                                "a half-made segment is left: " + names);
                    }
                    // Room again: the message that failed goes now, and the log goes on.
                    Files.delete(disk.resolve("ballast"));
                    sender.send(StampedSender.stamped(1, sent, 1000));
                    StampedSender.assertStamped(receiver.receive(Duration.ofSeconds(5)), 1, sent);
                }
            } finally {
                run("umount", "-l", disk.toString());
            }
        }
    }

    private static void mount(Path disk) throws Exception {
        String output = run("mount", "-t", "tmpfs", "-o", "size=320k,mode=0700", "tmpfs", disk.toString());
        Assumptions.assumeTrue(output.isEmpty(), () -> {
            System.err.println("LogDiskFullTest skipped: mount failed: " + output);
            return "mount failed: " + output;
        });
    }

    /** @return what the command printed if it failed, or nothing */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " ended");
        return p.exitValue() == 0 ? "" : output.isEmpty() ? "exit status " + p.exitValue() : output.strip();
    }
}
