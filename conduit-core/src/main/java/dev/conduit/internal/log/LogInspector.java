package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.LogDamagedException;
import dev.conduit.LogInfo;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The implementation of {@link LogInfo}: walks a log's segments without a receiver, and applies a
 * retention on demand. Stateless.
 */
public final class LogInspector {
    private LogInspector() {
    }

    /** @see LogInfo#of */
    public static LogInfo info(Path path) throws IOException {
        LogDirectory directory = existing(path);
        List<LogInfo.SegmentInfo> segments = new ArrayList<>();
        for (Map.Entry<Long, Path> e : directory.list().entrySet()) {
            try (Segment s = Segment.map(e.getValue(), e.getKey())) {
                segments.add(walk(s, Files.size(e.getValue())));
            } catch (NoSuchFileException trimmed) {
                // Deleted by a trim as we looked: it is no longer in the log.
            } catch (Segment.BadHeader bad) {
                throw new LogDamagedException("log:" + path + ": info", e.getValue(), e.getKey(), "not a segment: "
                        + bad.getMessage());
            }
        }
        List<LogInfo.CursorInfo> cursors = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory.path, "*" + Cursor.SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                name = name.substring(0, name.length() - Cursor.SUFFIX.length());
                if (Cursor.validName(name)) {
                    long at = Cursor.peek(f);
                    cursors.add(new LogInfo.CursorInfo(name, at < 0 ? Optional.empty() : Optional.of(at)));
                }
            }
        }
        cursors.sort((a, b) -> a.name().compareTo(b.name()));
        return new LogInfo(directory.path, segments, cursors, Readers.live(directory.path).size());
    }

    /** @see LogInfo#trim */
    public static List<Path> trim(Path path, String retain) throws IOException {
        Retention retention = Retention.parse(retain, "retain=" + retain);
        return retention.trim(existing(path));
    }

    private static LogDirectory existing(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        if (!Files.isDirectory(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("log:" + absolute + ": " + absolute + " is not a log's directory");
        }
        return LogDirectory.open(Endpoint.parse("log:" + absolute), LogTransport.DEFAULT_SEGMENT_BYTES);
    }

    /** @return what the records of {@code s} are, walked from its start to the first not claimed */
    private static LogInfo.SegmentInfo walk(Segment s, long fileBytes) {
        CRC32C crc = new CRC32C();
        long at = 0;
        long records = 0;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        String problem = s.sizeProblem;
        while (at + Segment.RECORD_HEADER <= s.readable) {
            long word = s.claimAcquire(at);
            int length = (int) word;
            if (word == 0 || length == Segment.END_LENGTH) {
                break;
            }
            long size = s.sizeOf(Integer.toUnsignedLong(length));
            if (length < 0 || at + size > s.readable) {
                problem = "a record of " + Integer.toUnsignedString(length) + " bytes at position " + (s.base + at)
                        + " runs past the segment's data";
                break;
            }
            if (s.stateAcquire(at) == Segment.COMMITTED) {
                if (!Resync.checksumMatches(s, at, length, crc)) {
                    problem = "the checksum of the record at position " + (s.base + at) + " does not match";
                } else {
                    records++;
                    firstTime = firstTime == Long.MIN_VALUE ? s.time(at) : firstTime;
                    lastTime = s.time(at);
                }
            }
            at += size;
        }
        return new LogInfo.SegmentInfo(s.file, s.version, s.base, fileBytes, records, s.base, s.base + at,
                instant(firstTime), instant(lastTime), s.retired(), Optional.ofNullable(problem));
    }

    /** @return {@code nanos} since the epoch as an instant; empty for {@link Long#MIN_VALUE} */
    public static Optional<Instant> instant(long nanos) {
        return nanos == Long.MIN_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochSecond(
                Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
    }
}
