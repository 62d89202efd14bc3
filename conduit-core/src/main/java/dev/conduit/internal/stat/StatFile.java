package dev.conduit.internal.stat;

import dev.conduit.ConnectionCounters;
import dev.conduit.internal.ConnectionRegistry.Row;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The counters file a process publishes for {@code conduit stat}: {@code /dev/shm/conduit-stat-PID},
 * mode 0600, UTF-8 text, replaced whole (written beside and renamed over) so a reader never sees
 * half a table. Layout (version 1), one item a line, fields separated by one tab:
 *
 * <pre>
 * conduit-stat	1
 * pid	PID
 * started	ISO-8601 instant the process started (with the pid, tells a reused pid apart)
 * updated	ISO-8601 instant of this writing
 * connection	STATE	MSGS_OUT	BYTES_OUT	MSGS_IN	BYTES_IN	SEND_BLOCKED_NS	REFUSED	RECONNECTS	NAME
 * ...	(one connection line per open connection; NAME is last and has no tab or line break)
 * </pre>
 *
 * A reader skips lines whose first field it does not know, so later versions may add kinds.
 */
public final class StatFile {
    /** The directory the files live in: tmpfs, so a write never touches a disk. */
    public static final Path DIRECTORY = Path.of("/dev/shm");
    private static final String PREFIX = "conduit-stat-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "([0-9]+)");
    private static final String MAGIC = "conduit-stat";
    private static final Pattern LINE_BREAKS = Pattern.compile("[\t\r\n]");
    private static final int VERSION = 1;

    private StatFile() {
    }

    /**
     * One process's published table.
     *
     * @param pid     the process
     * @param started when it started
     * @param updated when it wrote the table
     * @param rows    its open connections
     */
    public record Table(long pid, Instant started, Instant updated, List<Row> rows) {
    }

    /** @return the file of process {@code pid} in {@code directory} */
    public static Path of(Path directory, long pid) {
        return directory.resolve(PREFIX + pid);
    }

    /** @return {@code table} in the file's layout */
    public static String format(Table table) {
        StringBuilder text = new StringBuilder(256 + 128 * table.rows().size());
        text.append(MAGIC).append('\t').append(VERSION).append('\n');
        text.append("pid\t").append(table.pid()).append('\n');
        text.append("started\t").append(table.started()).append('\n');
        text.append("updated\t").append(table.updated()).append('\n');
        for (Row row : table.rows()) {
            ConnectionCounters c = row.counters();
            text.append("connection\t").append(row.state());
            for (long value : new long[] {c.messagesOut(), c.bytesOut(), c.messagesIn(), c.bytesIn(),
                    c.sendBlockedNanos(), c.framesRefused(), c.reconnects()}) {
                text.append('\t').append(value);
            }
            text.append('\t').append(LINE_BREAKS.matcher(row.name()).replaceAll(" ")).append('\n');
        }
        return text.toString();
    }

    /**
     * @param text a file's content
     * @return the table it holds
     * @throws IllegalArgumentException if it is not a version-1 counters file
     */
    public static Table parse(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 4 || !lines[0].equals(MAGIC + "\t" + VERSION)) {
            throw new IllegalArgumentException("not a conduit-stat version " + VERSION + " file");
        }
        long pid = Long.parseLong(value(lines[1], "pid"));
        Instant started = Instant.parse(value(lines[2], "started"));
        Instant updated = Instant.parse(value(lines[3], "updated"));
        List<Row> rows = new ArrayList<>();
        for (int i = 4; i < lines.length; i++) {
            String[] f = lines[i].split("\t", 10);
            if (!f[0].equals("connection")) {
                continue;
            }
            if (f.length != 10) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + f.length + " fields (expected 10)");
            }
            rows.add(new Row(f[1], new ConnectionCounters(Long.parseLong(f[2]), Long.parseLong(f[3]),
                    Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]),
                    Long.parseLong(f[8])), f[9]));
        }
        return new Table(pid, started, updated, rows);
    }

    private static String value(String line, String key) {
        if (!line.startsWith(key + "\t")) {
            throw new IllegalArgumentException("expected '" + key + "', found '" + line + "'");
        }
        return line.substring(key.length() + 1);
    }

    /** Replaces the file of {@code table}'s process in {@code directory} with {@code table}, mode 0600. */
    public static void write(Path directory, Table table) throws IOException {
        Path file = of(directory, table.pid());
        Path next = directory.resolve(file.getFileName() + ".next");
        Files.deleteIfExists(next);
        Files.write(Files.createFile(next, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rw-------"))), format(table).getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE);
        try {
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Reads the tables of the live processes in {@code directory}, removing the files of processes
     * that are gone (a pid not running, or running a process that started at another time).
     *
     * @param pid only this process's table, or -1 for all
     * @return the tables, by pid
     * @throws IOException if the directory cannot be listed
     */
    public static List<Table> readAll(Path directory, long pid) throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.sorted().toList();
        }
        List<Table> tables = new ArrayList<>();
        for (Path file : files) {
            Matcher m = NAME.matcher(file.getFileName().toString());
            if (!m.matches() || (pid >= 0 && Long.parseLong(m.group(1)) != pid)) {
                continue;
            }
            Optional<Table> table = read(file);
            if (table.isEmpty()) {
                continue;
            }
            if (!alive(table.get())) {
                removeQuietly(file);
                continue;
            }
            tables.add(table.get());
        }
        tables.sort((a, b) -> Long.compare(a.pid(), b.pid()));
        return tables;
    }

    /** Removes the files of processes that are gone, as {@link #readAll} does. */
    public static void removeStale(Path directory) throws IOException {
        readAll(directory, -1);
    }

    private static void removeQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Another user's file in the sticky /dev/shm: its owner's stat removes it.
        }
    }

    private static Optional<Table> read(Path file) {
        try {
            return Optional.of(parse(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            // Unreadable (another user's) or malformed: not shown, and left alone. A file is only
            // ever replaced whole, so a malformed one is foreign or of another version.
            return Optional.empty();
        }
    }

    /** @return whether the table's process still runs: its pid, started at the time it wrote */
    static boolean alive(Table table) {
        return ProcessHandle.of(table.pid()).map(p -> p.info().startInstant().map(table.started()::equals)
                .orElse(true)).orElse(false);
    }

    /** @return when this process started, as the tables record it */
    static Instant started() {
        return ProcessHandle.current().info().startInstant().orElse(Instant.EPOCH);
    }
}
