package dev.conduit.cli;

import dev.conduit.LogInfo;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.cli.Formats.Format;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code conduit log info|dump|trim PATH}: what a {@code log:} endpoint's directory holds (its
 * segments, positions, times and cursors), its records with their positions and append times,
 * and a retention applied now.
 */
final class LogTools {
    private LogTools() {
    }

    /** What every {@code conduit log} command on one log has: the command line, and the log's PATH. */
    abstract static class OnLog {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PATH", description = "The log's directory (as in log:PATH).")
        Path path;
    }

    private static String time(Optional<Instant> t) {
        return t.map(Instant::toString).orElse("-");
    }

    /** {@code conduit log info PATH}. */
    @Command(name = "info", description = {"Show the log in PATH: its segments (file, format version, bytes,"
            + " records, first and end positions, first and last append times), its named cursors and their"
            + " positions, and how many live receivers are registered in it.",
        "Reads every record; changes nothing."})
    static final class Info extends OnLog implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            LogInfo info = LogInfo.of(path);
            PrintWriter out = spec.commandLine().getOut();
            List<LogInfo.SegmentInfo> segments = info.segments();
            long bytes = segments.stream().mapToLong(LogInfo.SegmentInfo::fileBytes).sum();
            long records = segments.stream().mapToLong(LogInfo.SegmentInfo::records).sum();
            out.println(info.path() + ": " + segments.size() + " segments, " + bytes + " bytes, " + records
                    + " records, positions " + (segments.isEmpty() ? "0 to 0" : segments.getFirst().first() + " to "
                    + segments.getLast().end()) + ", times " + time(segments.stream().map(LogInfo.SegmentInfo::firstTime)
                    .flatMap(Optional::stream).findFirst()) + " to " + time(segments.reversed().stream()
                    .map(LogInfo.SegmentInfo::lastTime).flatMap(Optional::stream).findFirst()) + ", "
                    + info.readers() + " live receivers");
            for (LogInfo.SegmentInfo s : segments) {
                out.println("segment " + s.file().getFileName() + " version " + s.version() + ", " + s.fileBytes()
                        + " bytes, " + s.records() + " records, positions " + s.first() + " to " + s.end() + ", times "
                        + time(s.firstTime()) + " to " + time(s.lastTime()) + (s.retired() ? ", retired" : "")
                        + s.problem().map(p -> ", damaged: " + p).orElse(""));
            }
            for (LogInfo.CursorInfo c : info.cursors()) {
                out.println("cursor " + c.name() + " " + c.position().map(p -> "at position " + p)
                        .orElse("with no position yet"));
            }
            return 0;
        }
    }

    /** {@code conduit log dump PATH}. */
    @Command(name = "dump", description = {"Print the records of the log in PATH, one a line: its position, its"
            + " append time (ISO-8601, UTC; - for a record written before records had times), and the message.",
        "Stops at the end of the log; damaged places are skipped and reported on standard error."})
    static final class Dump extends OnLog implements Callable<Integer> {
        @Option(names = "--from", paramLabel = "WHERE", defaultValue = "start",
                description = "Where to start: start, end, a position, or a time such as 2026-12-06T10:00Z"
                        + " (the first record appended at or after it). Default: ${DEFAULT-VALUE}.")
        private String from;

        @Option(names = "--count", paramLabel = "N", description = "Print at most N records.")
        private long count = Long.MAX_VALUE;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
                converter = Formats.FormatConverter.class,
                description = "How to print messages: text (UTF-8; \\\\n, \\\\r, \\\\\\\\ escaped), hex or base64."
                        + " Default: ${DEFAULT-VALUE}.")
        private Format format;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            long damaged = 0;
            try (MessageReceiver receiver = LogCommand.openDamaged(spec, path, from)) {
                for (long n = 0; n < count; n++) {
                    byte[] m = receiver.tryReceive();
                    damaged = LogCommand.reportDamage(receiver, damaged, err);
                    if (m == null) {
                        break;
                    }
                    out.println(LogPosition.startOf(receiver).orElseThrow() + " " + time(LogPosition.timeOf(receiver))
                            + " " + format.encode(m));
                }
            }
            out.flush();
            return 0;
        }
    }

    /** {@code conduit log trim PATH --retain LIMITS}. */
    @Command(name = "trim", description = {"Apply a retention to the log in PATH now, as a sender with ?retain= does:"
            + " delete whole old segments, oldest first, never the last one, and never one a live receiver is on"
            + " (that one is marked, so the receiver fails or moves on as it chose with ?onTrimmed=, and a later"
            + " trim deletes it).",
        "Prints each segment deleted, then a summary."})
    static final class Trim extends OnLog implements Callable<Integer> {
        @Option(names = "--retain", paramLabel = "LIMITS", required = true,
                description = "What to keep: an age (7d, 12h, 90s), a size (10g, 512mib), or both: 7d,10g.")
        private String retain;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            List<Path> deleted;
            try {
                deleted = LogInfo.trim(path, retain);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--retain " + e.getMessage());
            }
            for (Path p : deleted) {
                out.println("deleted " + p);
            }
            LogInfo after = LogInfo.of(path);
            long retired = after.segments().stream().filter(LogInfo.SegmentInfo::retired).count();
            out.println(path + ": deleted " + deleted.size() + " segments; " + after.segments().size() + " left"
                    + (retired > 0 ? ", " + retired + " of them kept for a live receiver until it moves on" : ""));
            return 0;
        }
    }
}
