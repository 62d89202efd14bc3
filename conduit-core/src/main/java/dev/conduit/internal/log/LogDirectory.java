package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.LogDamagedException;
import dev.conduit.internal.jfr.JfrEvents;
import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Processes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directory of a log, {@code log:PATH}: segment files named by their base position in 16
 * lower-case hex digits, {@code 0000000000000000.log}, {@code 0000000003fff000.log}, ... Both
 * ends create the directory (0700) and the first segment if they are missing, so a reader may
 * start before any writer, and remove segments left half-made by processes that died. A symbolic link at PATH or at a segment's name is refused, never
 * followed. Thread-safe; holds nothing open.
 */
final class LogDirectory {
    private static final Pattern SEGMENT_NAME = Pattern.compile("[0-9a-f]{16}\\.log");
    private static final Pattern TEMPORARY_NAME = Pattern.compile("\\.tmp-([0-9]{1,9})-[0-9a-f]{1,16}");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    final Path path;
    /** Bytes of each segment this side creates first, {@code ?segmentSize=}; later ones copy their predecessor. */
    final long segmentBytes;
    private final String name;

    private LogDirectory(Path path, long segmentBytes, String name) {
        this.path = path;
        this.segmentBytes = segmentBytes;
        this.name = name;
    }

    /**
     * Checks PATH and makes the directory if it is missing.
     *
     * @throws IllegalArgumentException if PATH is not absolute
     * @throws IOException              naming the endpoint if PATH is a symbolic link or not a
     *                                  directory, or the directory cannot be made
     */
    static LogDirectory open(Endpoint endpoint, long segmentBytes) throws IOException {
        String name = endpoint.toString();
        Path path = Path.of(endpoint.address());
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': log path '" + endpoint.address()
                    + "' is not absolute (expected e.g. log:/var/tmp/events)");
        }
        try {
            Files.createDirectory(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            Files.setPosixFilePermissions(path, OWNER_ONLY_DIR); // whatever the umask took away
        } catch (FileAlreadyExistsException e) {
            // Made by another end, or a file that is not ours to use: checked below.
        } catch (NoSuchFileException e) {
            throw new IOException(name + ": open: the directory " + path.getParent() + " does not exist", e);
        }
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            throw new IOException(name + ": open: " + path + " is a symbolic link; a log's path must be its"
                    + " directory itself");
        }
        if (!attributes.isDirectory()) {
            throw new IOException(name + ": open: " + path + " exists and is not a directory");
        }
        LogDirectory directory = new LogDirectory(path, segmentBytes, name);
        try {
            directory.removeStaleTemporaries();
        } catch (FileSystemException e) {
            throw new IOException(name + ": open: " + explain(e), e);
        }
        return directory;
    }

    /**
     * Removes segments that were being made by processes that no longer exist: a maker killed
     * between creating its temporary file and linking it leaves one behind.
     */
    private void removeStaleTemporaries() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path, ".tmp-*")) {
            for (Path file : files) {
                Matcher m = TEMPORARY_NAME.matcher(file.getFileName().toString());
                if (m.matches() && !Processes.exists(Integer.parseInt(m.group(1)))) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** @return the file of the segment whose data starts at log position {@code base} */
    Path segmentFile(long base) {
        return path.resolve(String.format("%016x.log", base));
    }

    /** @return the segments' bases, in order, from their names */
    TreeMap<Long, Path> list() throws IOException {
        TreeMap<Long, Path> segments = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path)) {
            for (Path file : files) {
                String fileName = file.getFileName().toString();
                if (SEGMENT_NAME.matcher(fileName).matches()) {
                    segments.put(Long.parseUnsignedLong(fileName.substring(0, 16), 16), file);
                }
            }
        }
        return segments;
    }

    /**
     * Maps the first segment there is, making segment 0 if there is none.
     */
    Segment first() throws IOException {
        TreeMap<Long, Path> segments = list();
        long base = segments.isEmpty() ? 0 : segments.firstKey();
        return openOrCreate(base, segmentBytes, "open");
    }

    /**
     * Maps the first segment that retention has not retired (the last one, if all before it
     * are), making segment 0 if there is none: where a receiver {@code from=start} begins.
     *
     * @param call the caller's call, for errors
     */
    Segment firstKept(String call) throws IOException {
        TreeMap<Long, Path> segments = list();
        if (segments.isEmpty()) {
            return openOrCreate(0, segmentBytes, call);
        }
        for (var entry : segments.entrySet()) {
            Segment s;
            try {
                s = Segment.map(entry.getValue(), entry.getKey());
            } catch (NoSuchFileException e) {
                continue; // deleted by a trimmer as we looked
            } catch (Segment.BadHeader e) {
                throw new LogDamagedException(name + ": " + call, entry.getValue(), entry.getKey(), "not a segment: "
                        + e.getMessage());
            }
            if (!s.retired() || entry.getKey().equals(segments.lastKey())) {
                return s;
            }
            s.close();
        }
        return last();
    }

    /** @return the base of the first segment there is (0 if none): what a receiver registers first */
    long firstBase() throws IOException {
        TreeMap<Long, Path> segments = list();
        return segments.isEmpty() ? 0 : segments.firstKey();
    }

    /**
     * Maps the last segment there is, making segment 0 if there is none.
     */
    Segment last() throws IOException {
        TreeMap<Long, Path> segments = list();
        long base = segments.isEmpty() ? 0 : segments.lastKey();
        return openOrCreate(base, segmentBytes, "open");
    }

    /**
     * Maps the segment that holds log position {@code position}.
     *
     * @throws IOException if no segment holds it (deleted, or not yet written)
     */
    Segment holding(long position) throws IOException {
        var entry = list().floorEntry(position);
        if (entry != null) {
            Segment segment = Segment.map(entry.getValue(), entry.getKey());
            if (position <= segment.end()) {
                return segment;
            }
            segment.close();
        }
        throw new IOException(name + ": open: no segment of " + path + " holds position " + position);
    }

    /**
     * Maps the segment that follows {@code segment}, making it (the same size) if nobody has yet.
     *
     * @param call the caller's call, for errors: {@code send}, {@code receive}, ...
     * @throws IOException naming the log, the call and the file, e.g. when the disk is full; the
     *                     caller may try again later
     */
    Segment next(Segment segment, String call) throws IOException {
        return openOrCreate(segment.end(), segment.capacity + Segment.HEADER_BYTES, call);
    }

    /**
     * Maps the segment at {@code base}, first making it if it does not exist: built under a
     * temporary name, then hard-linked to its own, which fails if another process got there
     * first. So a segment is never seen half-made, and two makers cannot both win. Its blocks are
     * allocated when it is made, so a full disk is an error here rather than a fault in a send.
     */
    private Segment openOrCreate(long base, long fileBytes, String call) throws IOException {
        Path file = segmentFile(base);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Path temporary = path.resolve(".tmp-" + Processes.getpid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                int fd = PosixFiles.createExclusive(temporary.toString(), 0600);
                try {
                    PosixFiles.posixFallocate(fd, fileBytes);
                } finally {
                    PosixFiles.close(fd);
                }
                Files.setPosixFilePermissions(temporary, OWNER_ONLY_FILE);
                try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    Segment.initialise(channel, fileBytes, base);
                }
                Files.createLink(file, temporary);
                JfrEvents.segmentRolledOver(file.toString(), base);
            } catch (FileAlreadyExistsException e) {
                // Another end made it first: use theirs.
            } catch (IOException e) {
                throw new IOException(name + ": " + call + ": cannot make segment " + file + ": " + e.getMessage(), e);
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        try {
            return Segment.map(file, base);
        } catch (Segment.BadHeader e) {
            throw new LogDamagedException(name + ": " + call, file, base, "not a segment: " + e.getMessage());
        } catch (FileSystemException e) {
            throw new IOException(name + ": " + call + ": " + explain(e), e);
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage());
            throw new IOException(name + ": " + call + ": " + (why.contains(file.toString()) ? why : file + ": " + why),
                    e);
        }
    }

    /**
     * @return what went wrong with a file, with the reason: a permission denied names the file's
     *         owner and mode and who asked, since that is what the user must change
     */
    static String explain(FileSystemException e) {
        String file = e.getFile();
        if (!(e instanceof AccessDeniedException)) {
            return e.getReason() == null ? file + ": " + e.getClass().getSimpleName() : e.getMessage();
        }
        String owner;
        try {
            Path p = Path.of(file);
            owner = "owned by " + Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName() + ", mode "
                    + PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) + "; ";
        } catch (IOException | RuntimeException unknown) {
            owner = ""; // its directory hides it too
        }
        return file + ": permission denied (" + owner + "this process runs as " + System.getProperty("user.name") + ")";
    }

    @Override
    public String toString() {
        return name;
    }
}
