package dev.conduit.internal.log;

import dev.conduit.internal.posix.Processes;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registration of a live receiver, so that retention never deletes the segment it is on:
 * the file {@code PATH/.reader-PID-STAMP-N} holds, in decimal ASCII, the base of the segment the
 * receiver is on. It is written before the receiver maps a segment, replaced atomically (a
 * temporary file renamed over it) when it moves to the next, and deleted when it closes. A file
 * whose process is gone (its pid is not a process, or one with another start time) is stale: a
 * trimmer deletes it. Written by the receiving thread; thread-safe.
 */
final class Readers {
    private static final Pattern NAME = Pattern.compile("\\.reader-([0-9]{1,9})-([0-9a-f]{1,8})-[0-9]+");
    private static final AtomicLong SERIAL = new AtomicLong();

    private final Path dir;
    private final Path file;

    private Readers(Path dir, Path file) {
        this.dir = dir;
        this.file = file;
    }

    /** Registers a receiver about to map the segment at {@code base}. */
    static Readers register(Path dir, long base) throws IOException {
        int pid = Processes.getpid();
        Readers r = new Readers(dir, dir.resolve(".reader-" + pid + "-" + Integer.toHexString(Writers.stamp(pid))
                + "-" + SERIAL.incrementAndGet()));
        r.on(base);
        return r;
    }

    /** Says the receiver is on the segment at {@code base} now. */
    void on(long base) throws IOException {
        Path temporary = dir.resolve(".tmp-" + Processes.getpid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.writeString(temporary, Long.toString(base));
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Removes the registration: the receiver is closed. */
    void remove() throws IOException {
        Files.deleteIfExists(file);
    }

    /**
     * @return the bases of the segments live receivers are on, deleting stale registrations
     */
    static TreeSet<Long> live(Path dir) throws IOException {
        TreeSet<Long> bases = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".reader-*")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                int pid = Integer.parseInt(m.group(1));
                int stamp = Integer.parseUnsignedInt(m.group(2), 16);
                if (!Writers.alive(pid, stamp)) {
                    Files.deleteIfExists(f);
                    continue;
                }
                try {
                    bases.add(Long.parseLong(Files.readString(f).trim()));
                } catch (NumberFormatException | NoSuchFileException e) {
                    // Replaced or removed as we looked: its receiver is on a later segment, or gone.
                }
            }
        }
        return bases;
    }
}
