package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.OneWayTransport;
import dev.conduit.internal.Options;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.posix.Shm;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * {@code log:PATH}: a durable, memory-mapped, append-only message log in the directory PATH
 * ({@code docs/log.md}). Senders append ({@link LogSender}); receivers read from the start, the
 * end, or a saved position and then tail it ({@link LogReceiver}). The log outlives them all.
 */
public final class LogTransport implements OneWayTransport {
    /** {@code ?from=start|end|POSITION}: where a receiver starts; {@code end} by default. */
    public static final String FROM = "from";
    /** {@code ?segmentSize=}: bytes of each segment file of a new log, 64 MiB by default. */
    public static final String SEGMENT_SIZE = "segmentSize";
    /** {@code ?sync=none|always}: whether a sender writes each record to the disk before returning. */
    public static final String SYNC = "sync";
    /** {@code ?time=coarse|precise} on a sender: its records' append times, of the last timer tick or exact. */
    public static final String TIME = "time";
    /** {@code ?onDamage=stop|skip}: what a receiver does at damage; {@code stop} by default. */
    public static final String ON_DAMAGE = "onDamage";
    /** {@code ?cursor=NAME}: a receiver's position kept in the log's directory under that name. */
    public static final String CURSOR = "cursor";
    /** {@code ?onTrimmed=fail|oldest}: what a receiver behind retention does; {@code fail} by default. */
    public static final String ON_TRIMMED = "onTrimmed";
    static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    private static final long START = -1;
    private static final long END = -2;

    @Override
    public Set<String> schemes() {
        return Set.of("log");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Options.SPIN, FROM, SEGMENT_SIZE, SYNC, ON_DAMAGE, CURSOR, ON_TRIMMED,
                Retention.RETAIN, TIME);
    }

    /**
     * {@inheritDoc} Makes the log if it does not exist. Never waits: {@code timeout} is not used.
     */
    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        checkSupported(endpoint);
        Options.refuse(endpoint, FROM, "a receiver's");
        Options.refuse(endpoint, ON_DAMAGE, "a receiver's");
        Options.refuse(endpoint, CURSOR, "a receiver's");
        Options.refuse(endpoint, ON_TRIMMED, "a receiver's");
        Retention retention = Retention.of(endpoint);
        boolean coarseTime = !choice(endpoint, TIME, "coarse", "precise");
        boolean sync = switch (endpoint.option(SYNC).orElse("none")) {
            case "none" -> false;
            case "always" -> true;
            default -> throw new IllegalArgumentException("endpoint '" + endpoint + "': " + SYNC + "="
                    + endpoint.option(SYNC).orElseThrow() + " (expected none or always)");
        };
        LogDirectory directory = LogDirectory.open(endpoint, segmentBytes(endpoint));
        if (retention != null) {
            retention.trim(directory);
        }
        Segment last = directory.last();
        long fits = last.capacity - Segment.TIMED_RECORD_HEADER;
        int maxFrame = (int) Math.min(Options.maxFrame(endpoint), Math.min(fits, Frames.MAX_FRAME_LIMIT));
        if (endpoint.option(Options.MAX_FRAME).isPresent() && Options.maxFrame(endpoint) > fits) {
            last.close();
            throw new IllegalArgumentException("endpoint '" + endpoint + "': maxFrame=" + Options.maxFrame(endpoint)
                    + " does not fit in this log's segments of " + last.capacity + " data bytes (expected at most "
                    + fits + "; raise segmentSize when making a log)");
        }
        return new LogSender(endpoint, directory, last, maxFrame, sync, retention, coarseTime);
    }

    /** {@inheritDoc} Makes the log if it does not exist, so a receiver may start before any sender. */
    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        checkSupported(endpoint);
        Options.refuse(endpoint, SYNC, "a sender's");
        Options.refuse(endpoint, Retention.RETAIN, "a sender's");
        Options.refuse(endpoint, TIME, "a sender's");
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        long position = from(endpoint);
        long time = TimeSeek.parse(endpoint.option(FROM).orElse(""), "endpoint '" + endpoint + "': " + FROM + "="
                + endpoint.option(FROM).orElse(""));
        boolean skip = choice(endpoint, ON_DAMAGE, "stop", "skip");
        boolean toOldest = choice(endpoint, ON_TRIMMED, "fail", "oldest");
        String cursorName = endpoint.option(CURSOR).orElse(null);
        if (cursorName != null && !Cursor.validName(cursorName)) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + CURSOR + "=" + cursorName
                    + " (expected 1 to 64 letters, digits, '.', '_' or '-', not starting with '.')");
        }
        LogDirectory directory = LogDirectory.open(endpoint, segmentBytes(endpoint));
        Cursor cursor = cursorName == null ? null : Cursor.open(directory.path, cursorName, endpoint + ": open");
        Following following;
        try {
            // Registered at the first segment there is until positioned: retention keeps it and all after.
            following = new Following(cursor, Readers.register(directory.path, directory.firstBase()), toOldest);
        } catch (IOException | RuntimeException e) {
            if (cursor != null) {
                cursor.close();
            }
            throw e;
        }
        try {
            if (following.stored() >= 0) {
                position = following.stored();
                time = Long.MIN_VALUE;
            } else if (time != Long.MIN_VALUE) {
                position = TimeSeek.start(directory, time);
            }
            LogReceiver receiver = open(endpoint, directory, position, maxFrame, spin, skip, following, time);
            following.on(receiver.segmentBase(), receiver.toString());
            return receiver;
        } catch (IOException | RuntimeException e) {
            following.close(-1);
            throw e;
        }
    }

    /** Maps the segment to start in, and makes the receiver there. */
    private static LogReceiver open(Endpoint endpoint, LogDirectory directory, long position, int maxFrame, long spin,
            boolean skip, Following following, long notBefore) throws IOException {
        Segment segment = position == START ? directory.firstKept("open") : position == END ? directory.last()
                : holding(endpoint, directory, position, following.toOldest);
        if (segment == null) {
            return open(endpoint, directory, START, maxFrame, spin, skip, following, notBefore);
        }
        try {
            while (true) {
                long stop = position == END ? Long.MAX_VALUE : position == START ? 0 : position - segment.base;
                long at = walk(segment, position == END ? segment.tailHint() : 0, stop);
                if (at < 0) {
                    Segment next = directory.next(segment, "open");
                    segment.close();
                    segment = next;
                    continue;
                }
                if (at != stop && stop != Long.MAX_VALUE && !resumesAfterDamage(segment, stop)) {
                    String end = at < stop ? " (the log ends at " + (segment.base + at) + ")" : "";
                    throw new IOException(endpoint + ": open: position " + position + " is not where a record of "
                            + segment + " starts" + end);
                }
                return new LogReceiver(endpoint, directory, segment, stop == Long.MAX_VALUE ? at : stop, maxFrame,
                        spin, skip, following, notBefore);
            }
        } catch (IOException | RuntimeException e) {
            segment.close();
            throw e;
        }
    }

    /**
     * @return the segment holding {@code position}; null if retention deleted (or retired) it and
     *         the receiver moves on to the oldest record
     * @throws IOException saying so if it was trimmed and the receiver fails then
     */
    private static Segment holding(Endpoint endpoint, LogDirectory directory, long position, boolean toOldest)
            throws IOException {
        Segment oldest = directory.firstKept("open");
        long first = oldest.base;
        oldest.close();
        if (position >= first) {
            return directory.holding(position);
        }
        if (toOldest) {
            return null;
        }
        throw new IOException(endpoint + ": open: position " + position + " is in a segment that was deleted (by"
                + " retention, or by hand); the oldest record kept is at " + first + " (open with ?onTrimmed=oldest to"
                + " start there instead)");
    }

    private static boolean choice(Endpoint endpoint, String option, String no, String yes) {
        String value = endpoint.option(option).orElse(no);
        if (value.equals(no) || value.equals(yes)) {
            return value.equals(yes);
        }
        throw new IllegalArgumentException("endpoint '" + endpoint + "': " + option + "=" + value + " (expected " + no
                + " or " + yes + ")");
    }

    /**
     * @return whether {@code at}, which the chain of records from the segment's start does not
     *         reach (damage is in the way), is where a receiver with {@code onDamage=skip} goes on
     *         after it: a plausible record, or the end of the log
     */
    private static boolean resumesAfterDamage(Segment segment, long at) {
        if (at % Segment.ALIGN != 0 || at + Segment.RECORD_HEADER > segment.readable) {
            return false;
        }
        long hint = segment.tailHint();
        return segment.claimAcquire(at) == 0 ? at == hint : Resync.plausible(segment, at, hint, new CRC32C());
    }

    /**
     * @return the endpoint's {@code from}: {@link #START}, {@link #END} (the default), or a position
     * @throws IllegalArgumentException if it is none of those
     */
    private static long from(Endpoint endpoint) {
        String from = endpoint.option(FROM).orElse("end");
        if (from.equals("start")) {
            return START;
        }
        if (from.equals("end")) {
            return END;
        }
        if (from.matches("[0-9]{1,18}")) {
            return Long.parseLong(from);
        }
        if (from.matches("[0-9]{4}-.*")) {
            return START; // a time: TimeSeek finds the position
        }
        throw new IllegalArgumentException("endpoint '" + endpoint + "': " + FROM + "=" + from
                + " (expected start, end, a position a receiver reported, e.g. 4096, or a time such as"
                + " 2026-12-06T10:00Z)");
    }

    /**
     * Walks the records of {@code segment} from {@code at}, a record boundary, up to
     * {@code stop} or the first record not yet claimed.
     *
     * @return where the walk stopped; -1 if it reached the segment's end record, or a claim whose
     *         length is damaged (as a sender does, so a receiver from the end reads what senders
     *         write next)
     */
    private static long walk(Segment segment, long at, long stop) {
        while (at < stop) {
            if (at + Segment.RECORD_HEADER > segment.readable) {
                return stop == Long.MAX_VALUE ? -1 : segment.capacity;
            }
            long word = segment.claimAcquire(at);
            if (word == 0) {
                return at;
            }
            if ((int) word == Segment.END_LENGTH) {
                return stop == Long.MAX_VALUE ? -1 : segment.capacity;
            }
            long size = segment.sizeOf(Integer.toUnsignedLong((int) word));
            if ((int) word < 0 || at + size > segment.readable) {
                return stop == Long.MAX_VALUE ? -1 : at;
            }
            at += size;
        }
        return at;
    }

    private static long segmentBytes(Endpoint endpoint) {
        long bytes = Options.size(endpoint, SEGMENT_SIZE, DEFAULT_SEGMENT_BYTES, Segment.MIN_FILE_BYTES,
                Segment.MAX_FILE_BYTES);
        if (bytes % Segment.HEADER_BYTES != 0) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + SEGMENT_SIZE + "=" + bytes
                    + " (expected a multiple of " + Segment.HEADER_BYTES + ", e.g. 64k or 64m)");
        }
        return bytes;
    }

    private static void checkSupported(Endpoint endpoint) throws TransportUnavailableException {
        Optional<String> why = Shm.unavailability();
        if (why.isPresent()) {
            throw new TransportUnavailableException(endpoint + ": " + why.get());
        }
    }
}
