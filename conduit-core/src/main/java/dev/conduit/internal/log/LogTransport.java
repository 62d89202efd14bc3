package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.OneWayTransport;
import dev.conduit.internal.Options;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.posix.Libc;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

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
    static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    private static final long START = -1;
    private static final long END = -2;

    @Override
    public Set<String> schemes() {
        return Set.of("log");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Options.SPIN, FROM, SEGMENT_SIZE, SYNC);
    }

    /**
     * {@inheritDoc} Makes the log if it does not exist. Never waits: {@code timeout} is not used.
     */
    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        checkSupported(endpoint);
        Options.refuse(endpoint, FROM, "a receiver's");
        boolean sync = switch (endpoint.option(SYNC).orElse("none")) {
            case "none" -> false;
            case "always" -> true;
            default -> throw new IllegalArgumentException("endpoint '" + endpoint + "': " + SYNC + "="
                    + endpoint.option(SYNC).orElseThrow() + " (expected none or always)");
        };
        LogDirectory directory = LogDirectory.open(endpoint, segmentBytes(endpoint));
        Segment last = directory.last();
        long fits = last.capacity - Segment.RECORD_HEADER;
        int maxFrame = (int) Math.min(Options.maxFrame(endpoint), Math.min(fits, Frames.MAX_FRAME_LIMIT));
        if (endpoint.option(Options.MAX_FRAME).isPresent() && Options.maxFrame(endpoint) > fits) {
            last.close();
            throw new IllegalArgumentException("endpoint '" + endpoint + "': maxFrame=" + Options.maxFrame(endpoint)
                    + " does not fit in this log's segments of " + last.capacity + " data bytes (expected at most "
                    + fits + "; raise segmentSize when making a log)");
        }
        return new LogSender(endpoint, directory, last, maxFrame, sync);
    }

    /** {@inheritDoc} Makes the log if it does not exist, so a receiver may start before any sender. */
    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        checkSupported(endpoint);
        Options.refuse(endpoint, SYNC, "a sender's");
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        long position = from(endpoint);
        LogDirectory directory = LogDirectory.open(endpoint, segmentBytes(endpoint));
        Segment segment = position == START ? directory.first()
                : position == END ? directory.last() : directory.holding(position);
        try {
            while (true) {
                long stop = position == END ? Long.MAX_VALUE : position == START ? 0 : position - segment.base;
                long at = walk(segment, position == END ? segment.tailHint() : 0, stop);
                if (at < 0) {
                    Segment following = directory.next(segment, "open");
                    segment.close();
                    segment = following;
                    continue;
                }
                if (at != stop && stop != Long.MAX_VALUE) {
                    String end = at < stop ? " (the log ends at " + (segment.base + at) + ")" : "";
                    throw new IOException(endpoint + ": open: position " + position + " is not where a record of "
                            + segment + " starts" + end);
                }
                return new LogReceiver(endpoint, directory, segment, at, maxFrame, spin);
            }
        } catch (IOException | RuntimeException e) {
            segment.close();
            throw e;
        }
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
        throw new IllegalArgumentException("endpoint '" + endpoint + "': " + FROM + "=" + from
                + " (expected start, end, or a position a receiver reported, e.g. 4096)");
    }

    /**
     * Walks the records of {@code segment} from {@code at}, a record boundary, up to
     * {@code stop} or the first record not yet claimed.
     *
     * @return where the walk stopped; -1 if it reached the segment's end record
     */
    private static long walk(Segment segment, long at, long stop) {
        while (at < stop) {
            if (at + Segment.RECORD_HEADER > segment.capacity) {
                return stop == Long.MAX_VALUE ? -1 : segment.capacity;
            }
            long word = segment.claimAcquire(at);
            if (word == 0) {
                return at;
            }
            if ((int) word == Segment.END_LENGTH) {
                return stop == Long.MAX_VALUE ? -1 : segment.capacity;
            }
            at += Segment.recordBytes(Integer.toUnsignedLong((int) word));
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
        Optional<String> why = Libc.sharedMemorySupport();
        if (why.isPresent()) {
            throw new TransportUnavailableException(endpoint + ": " + why.get());
        }
    }
}
