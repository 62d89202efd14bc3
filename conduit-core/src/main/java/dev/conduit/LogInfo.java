package dev.conduit;

import dev.conduit.internal.log.LogInspector;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@code log:} endpoint's directory holds, for operators ({@code conduit log info}):
 * its segments with their positions, record counts and times, its named cursors, and how many
 * live receivers are registered in it. A snapshot: writers may append while it is taken.
 *
 * <pre>{@code
 * LogInfo info = LogInfo.of(Path.of("/var/tmp/events"));
 * for (LogInfo.SegmentInfo s : info.segments()) {
 *     System.out.println(s.file() + " " + s.records() + " records from " + s.firstTime().orElse(null));
 * }
 * LogInfo.trim(Path.of("/var/tmp/events"), "7d,10g");                // what ?retain=7d,10g on a sender does
 * }</pre>
 *
 * @param path      the log's directory
 * @param segments  its segments, oldest first
 * @param cursors   its named cursors ({@code ?cursor=}), by name
 * @param readers   live receivers registered in it (in any process on this machine)
 */
public record LogInfo(Path path, List<SegmentInfo> segments, List<CursorInfo> cursors, int readers) {
    /**
     * Makes a snapshot; the lists are copied.
     *
     * @throws NullPointerException if an argument is or holds {@code null}
     */
    public LogInfo {
        Objects.requireNonNull(path, "path");
        segments = List.copyOf(segments);
        cursors = List.copyOf(cursors);
    }

    /**
     * One segment file.
     *
     * @param file      its file
     * @param version   its format version (1 to 3; only 3 gives records times)
     * @param base      the log position of its data area's first byte
     * @param fileBytes the file's size
     * @param records   committed, intact records in it
     * @param first     the position of its first record (its base)
     * @param end       the position after its last claimed record
     * @param firstTime the append time of its first committed record, if it has one with a time
     * @param lastTime  the append time of its last committed record, if it has one with a time
     * @param retired   whether retention marked it to be deleted once no receiver is on it
     * @param problem   what stopped the walk of its records (damage), or empty
     */
    public record SegmentInfo(Path file, int version, long base, long fileBytes, long records, long first, long end,
            Optional<Instant> firstTime, Optional<Instant> lastTime, boolean retired, Optional<String> problem) {
    }

    /**
     * A named cursor.
     *
     * @param name     its name
     * @param position the position stored, or empty if none yet (or its file is damaged)
     */
    public record CursorInfo(String name, Optional<Long> position) {
    }

    /**
     * Reads what the log in {@code path} holds, walking every record of every segment. Blocks
     * for the files' reads; any thread may call it. Does not make the log, and takes no lock:
     * writers and receivers go on meanwhile.
     *
     * @param path the log's directory, as in {@code log:PATH}
     * @return the snapshot
     * @throws IOException naming the path if it is not a log's directory or cannot be read, or
     *                     naming a segment whose header is not a segment's
     */
    public static LogInfo of(Path path) throws IOException {
        return LogInspector.info(path);
    }

    /**
     * Applies a retention to the log in {@code path} now, as a sender opened with
     * {@code ?retain=} does when it opens and each time it starts a new segment: deletes whole
     * old segments, oldest first, never the last, and never one a live receiver is on (that
     * one is marked instead, so the receiver moves on or fails as it chose with
     * {@code ?onTrimmed=}, and a later trim deletes it). Blocks for the files' operations.
     *
     * @param path   the log's directory
     * @param retain as {@code ?retain=}: an age ({@code 7d}, {@code 12h}), a size ({@code 10g}),
     *               or both separated by a comma
     * @return the segment files deleted, oldest first
     * @throws IllegalArgumentException if {@code retain} is not of that form
     * @throws IOException              naming the path if it is not a log's directory, or a
     *                                  segment cannot be read or deleted
     */
    public static List<Path> trim(Path path, String retain) throws IOException {
        return LogInspector.trim(path, retain);
    }
}
