package dev.conduit.internal.log;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.LogDamage;
import dev.conduit.LogDamagedException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.posix.Futex;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * A reading end of {@code log:PATH}: reads records in order from its position, following the
 * log across segments, and hands each committed record whose CRC-32C matches to the caller as a
 * read-only view into the mapped file. Records are never overwritten, so a view stays valid
 * until the next receive call (which may move to the next segment and unmap this one).
 *
 * <p>A record that is claimed but not committed is waited for while its writer's process is
 * alive (the same pid, and in a version 2 segment the same start time), and skipped once it is
 * gone. Damage (a length that runs past the segment, a checksum that does not match, a state
 * word the format does not know, a planted END, a file of the wrong size) is never returned:
 * with {@code ?onDamage=stop} (the default) the receive call that meets it closes the receiver
 * and throws {@link LogDamagedException}; with {@code skip} it goes on from the next plausible
 * record ({@link Resync#pastDamage}) and counts what it passed over ({@link #damage()}).
 *
 * <p><b>Waiting.</b> At the end of the log a receiver spins for the {@code spin} budget, then
 * adds itself to the segment's waiters, looks once more, and sleeps in {@code FUTEX_WAIT} on the
 * state word of the record it waits for, for at most {@value #SLICE_MILLIS} ms at a time, so it
 * notices a dead writer or a local close within a slice. Writers wake the word only when the
 * waiters say someone sleeps. Virtual threads park instead.
 *
 * <p>The sending direction is refused: a receiver only receives.
 */
public final class LogReceiver extends AbstractConnection {
    static final long SLICE_MILLIS = 50;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    private static final long VIRTUAL_PARK_MIN_NANOS = 10_000;
    private static final long VIRTUAL_PARK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int SPINS_PER_CLOCK_READ = 64;

    private final LogDirectory directory;
    private final long spinNanos;
    /** {@code ?onDamage=skip}: go on past damage, counting it, rather than stop. */
    private final boolean skip;
    private final Damages damages;
    /** Its cursor, registration and choice behind retention. */
    private final Following following;
    /** {@code ?from=TIME}: records appended before this (nanoseconds) are passed over, up to the first after. */
    private long notBefore;
    private final CRC32C crc = new CRC32C();
    private final Arena timespecs = Arena.ofShared();
    private final MemorySegment timespec = Futex.allocateTimespec(timespecs);
    private volatile Segment segment;
    /** The state word a thread of this receiver sleeps on, for close to wake. */
    private volatile MemorySegment sleepingOn;
    /** The log position after the last message handed out. */
    private volatile long position;
    // Plain: written and read by the receiving thread (a volatile store per message costs a fence).
    /** The append time of the last message handed out, or {@link Long#MIN_VALUE}. */
    private long time = Long.MIN_VALUE;
    /** The log position where the last message handed out starts, or -1. */
    private long start = -1;
    // Under AbstractConnection's receive lock.
    private ByteBuffer view;
    /** The offset in {@code segment.data} of the next record. */
    private long offset;
    private long virtualPark = VIRTUAL_PARK_MIN_NANOS;
    private long skipped;
    /** The file of the segment after this one, whose existence says this one is full. */
    private Path nextFile;
    private long holeCheckedAt = System.nanoTime();
    /** Whether the last {@link #roll()} could not make the next segment. */
    private boolean cannotRoll;
    /** Whether this segment's {@link Segment#sizeProblem} was reported. */
    private boolean sizeReported;

    /**
     * @param segment the segment to start in; owned from now on
     * @param offset  where in its data the first record to read starts: a record boundary
     * @param skip      whether to go on past damage ({@code ?onDamage=skip}) rather than stop
     * @param following its cursor, registration and choice behind retention; owned from now on
     * @param notBefore {@code ?from=TIME} in nanoseconds: records appended before it are passed
     *                  over up to the first after it; {@link Long#MIN_VALUE} for none
     */
    LogReceiver(Endpoint endpoint, LogDirectory directory, Segment segment, long offset, int maxFrame,
            long spinNanos, boolean skip, Following following, long notBefore) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.directory = directory;
        this.spinNanos = spinNanos;
        this.skip = skip;
        this.damages = new Damages(name + ": receive", skip);
        this.following = following;
        this.notBefore = notBefore;
        use(segment, offset);
        following.store(position);
    }

    private void use(Segment s, long at) {
        nextFile = directory.segmentFile(s.end());
        segment = s;
        view = s.data.asByteBuffer().asReadOnlyBuffer();
        offset = at;
        position = s.base + at;
        sizeReported = false;
    }

    /**
     * @return the log position after the last message this receiver handed out (or where it
     *         started): open a receiver with {@code ?from=} this value to go on from there.
     *         Any thread may call it.
     */
    public long position() {
        return position;
    }

    /** @return the base of the segment this receiver is on, for its registration */
    long segmentBase() {
        return segment.base;
    }

    /**
     * @return the append time of the last message this receiver handed out, in nanoseconds since
     *         the epoch; {@link Long#MIN_VALUE} if none yet, or if it was in a segment older than
     *         version 3. For the receiving thread
     */
    public long time() {
        return time;
    }

    /**
     * @return the log position where the last message this receiver handed out starts, or -1 if
     *         none yet. For the receiving thread
     */
    public long start() {
        return start;
    }

    /**
     * @return the damage this receiver skipped so far ({@code ?onDamage=skip}); any thread may
     *         call it
     */
    public LogDamage damage() {
        return damages.sofar();
    }

    /** @return how many records (or crash holes) this receiver skipped as abandoned or lost in a crash, for tests */
    long skipped() {
        return skipped;
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) {
        throw new UnsupportedOperationException(name + ": " + mode.call + ": a log receiver only receives; open a"
                + " sender with Conduit.openSender");
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        boolean spin = true;
        try {
            // The caller is done with what it was handed: a receiver killed from here on reads on after it.
            following.store(position);
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                ByteBuffer message = tryNext();
                if (message != null) {
                    virtualPark = VIRTUAL_PARK_MIN_NANOS;
                    return message;
                }
                if (waitNanos == 0 || waitNanos == NEXT_IN_POLL
                        || (waitNanos > 0 && deadline - System.nanoTime() <= 0)) {
                    return null;
                }
                await(deadline, spin);
                spin = false;
            }
        } catch (IllegalStateException e) {
            // The segment was unmapped by a concurrent close.
            if (isClosedLocally()) {
                throw closedLocally("receive");
            }
            throw e;
        }
    }

    /** @return the next whole, committed, intact message, or null if the log has none yet */
    private ByteBuffer tryNext() throws IOException {
        while (true) {
            Segment s = segment;
            if (s.retired()) {
                trimmed(s);
                continue;
            }
            if (offset + Segment.RECORD_HEADER > s.readable) {
                if (!atSegmentEnd(s)) {
                    return null;
                }
                continue;
            }
            long word = s.claimAcquire(offset);
            if (word == 0) {
                if (pastCrashHole(s)) {
                    continue;
                }
                return null;
            }
            int length = (int) word;
            if (length == Segment.END_LENGTH) {
                String planted = Damages.misplacedEnd(s, offset);
                if (planted != null) {
                    damaged(s, planted);
                } else if (!atSegmentEnd(s)) {
                    return null;
                }
                continue;
            }
            long record = s.sizeOf(Integer.toUnsignedLong(length));
            if (length < 0 || offset + record > s.capacity) {
                damaged(s, "a record of " + Integer.toUnsignedString(length) + " bytes runs past the end of the"
                        + " segment's " + s.capacity + " data bytes");
                continue;
            }
            if (offset + record > s.readable) {
                // The file was cut short in this record: the rest of the segment is gone.
                sizeReported = true;
                report(s, offset, s.sizeProblem, s.capacity);
                offset = s.capacity;
                position = s.base + offset;
                continue;
            }
            int state = s.stateAcquire(offset);
            if (Segment.uncommitted(state)) {
                if (Writers.alive((int) (word >>> 32), state)) {
                    return null;
                }
                // The writer is gone, so the state is final now: it may have committed just before.
                state = s.stateAcquire(offset);
            }
            ByteBuffer message = take(s, length, record, state);
            if (message != null) {
                if (notBefore != Long.MIN_VALUE) {
                    if (time < notBefore) {
                        continue;
                    }
                    notBefore = Long.MIN_VALUE;
                }
                return message;
            }
        }
    }

    /**
     * Takes the claimed record at {@code offset} whose writer is done with it, one way or another.
     *
     * @return its payload, or null if it was skipped or damaged (and the reader moved on)
     */
    private ByteBuffer take(Segment s, int length, long record, int state) throws IOException {
        if (!Segment.knownState(state) || state == Segment.END) {
            damaged(s, "state word 0x" + Integer.toHexString(state) + " on a record of " + length + " bytes (expected "
                    + Segment.COMMITTED + " committed or " + Segment.ABANDONED + " abandoned)");
            return null;
        }
        long at = offset;
        if (state != Segment.COMMITTED) {
            // Abandoned, or its writer died before committing it: that send never returned.
            offset += record;
            skipped++;
            position = s.base + offset;
            return null;
        }
        if (length > maxFrame) {
            position = s.base + offset + record;
            throw fail(new FrameTooLongException(name + ": receive", length, maxFrame));
        }
        int payload = (int) s.payload(at);
        crc.reset();
        crc.update(view.limit(payload + length).position((int) at + (int) Segment.TIME));
        if ((int) crc.getValue() != s.crc(at)) {
            damaged(s, "checksum 0x" + Integer.toHexString(s.crc(at)) + " does not match the payload's 0x"
                    + Long.toHexString(crc.getValue()) + " (a record of " + length + " bytes)");
            return null;
        }
        offset += record;
        position = s.base + offset;
        time = s.time(at);
        start = s.base + at;
        return view.limit(payload + length).position(payload);
    }

    /**
     * At the end of a segment's records: reports a file whose size is not what its header
     * says, once, then moves on to the next segment.
     *
     * @return whether it moved
     */
    private boolean atSegmentEnd(Segment s) throws IOException {
        if (s.sizeProblem != null && !sizeReported) {
            sizeReported = true;
            report(s, s.readable, s.sizeProblem, s.capacity);
        }
        return roll();
    }

    /** Meets damage at {@code offset}: throws, or skips to the next plausible record. */
    private void damaged(Segment s, String problem) throws IOException {
        long resume = skip ? Resync.pastDamage(s, offset, crc) : offset;
        report(s, offset, problem, resume);
        offset = resume;
        position = s.base + offset;
    }

    /** Reports damage from {@code at} to {@code resume}: stops, or counts it and goes on. */
    private void report(Segment s, long at, String problem, long resume) throws IOException {
        LogDamagedException stop = damages.meet(s, at, problem, resume);
        if (stop != null) {
            throw fail(stop);
        }
    }

    /**
     * At an unclaimed record: tells a crash hole from the end of the log, and moves past it.
     * While every process runs, claims are contiguous and the tail hint is stored (release)
     * after them, so a hint beyond an unclaimed word, read (acquire) before a second look at
     * that word, and a later segment, made only once this one is full, can both only mean that
     * the machine crashed with the word still unwritten while later pages reached the disk.
     * Senders start at the hint, so no one would ever claim the word: skip to the first record
     * that leads to the hint (or to the hint), or on to the next segment. The file check costs
     * a system call, so it is made at most once a slice.
     *
     * @return whether the reader moved
     */
    private boolean pastCrashHole(Segment s) {
        long hint = s.tailHint();
        if (s.claimAcquire(offset) != 0) {
            return true; // claimed meanwhile: look again
        }
        if (hint > offset) {
            offset = Resync.pastHole(s, offset + Segment.ALIGN, hint);
        } else {
            long now = System.nanoTime();
            if (now - holeCheckedAt < SLICE_NANOS) {
                return false;
            }
            holeCheckedAt = now;
            if (!Files.exists(nextFile, LinkOption.NOFOLLOW_LINKS) || s.claimAcquire(offset) != 0) {
                return false;
            }
            offset = s.capacity;
        }
        skipped++;
        position = s.base + offset;
        return true;
    }

    /**
     * On a segment that retention retired: moves on to the oldest segment kept
     * ({@code ?onTrimmed=oldest}), counting what it passed over, or fails.
     */
    private void trimmed(Segment s) throws IOException {
        long at = s.base + offset;
        Segment oldest;
        try {
            oldest = directory.firstKept("receive");
        } catch (IOException e) {
            throw fail(e);
        }
        if (!following.toOldest) {
            long first = oldest.base;
            oldest.close();
            throw fail(new IOException(name + ": receive: fell behind retention at position " + at + ": its segment "
                    + s.file + " is to be deleted; the oldest record kept is at " + first + " (open with"
                    + " ?onTrimmed=oldest to move on to it instead)"));
        }
        skipped++;
        following.on(oldest.base, name);
        use(oldest, 0);
        s.close();
        if (isClosedLocally()) {
            oldest.close();
        }
    }

    private IOException fail(IOException e) throws IOException {
        close();
        throw e;
    }

    /**
     * Moves on to the next segment, making it if no writer has yet.
     *
     * @return false if it could not be made (a full disk, say): it is a writer's to make, and
     *         to report why not, so this receiver waits at the end as if the log ended there
     */
    private boolean roll() throws IOException {
        Segment old = segment;
        Segment next;
        try {
            next = directory.next(old, "receive");
        } catch (IOException e) {
            if (Files.exists(nextFile, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
            cannotRoll = true;
            return false;
        }
        cannotRoll = false;
        use(next, 0);
        old.close();
        following.on(next.base, name);
        if (isClosedLocally()) {
            // A close that came meanwhile unmapped the old segment only.
            next.close();
        }
        return true;
    }

    /** @param spin whether to spin first: only at the start of a wait, not after every slice */
    private void await(long deadline, boolean spin) {
        Segment s = segment;
        long at = offset;
        boolean virtual = Thread.currentThread().isVirtual();
        if (spin && spinNanos > 0 && !virtual) {
            long until = System.nanoTime() + Math.min(spinNanos, Long.MAX_VALUE / 4);
            if (deadline != 0 && deadline - until < 0) {
                until = deadline;
            }
            int spins = 0;
            do {
                if (!Segment.uncommitted(s.stateAcquire(at))) {
                    return;
                }
                Thread.onSpinWait();
            } while ((++spins & SPINS_PER_CLOCK_READ - 1) != 0
                    || (System.nanoTime() - until < 0 && !isClosedLocally()));
        }
        long sleep = deadline == 0 ? SLICE_NANOS : Math.min(SLICE_NANOS, deadline - System.nanoTime());
        if (sleep <= 0) {
            return;
        }
        if (cannotRoll) {
            // Nothing wakes a reader at the end of a full segment but time: look again each slice.
            LockSupport.parkNanos(sleep);
            return;
        }
        if (virtual) {
            LockSupport.parkNanos(Math.min(sleep, virtualPark));
            virtualPark = Math.min(2 * virtualPark, VIRTUAL_PARK_MAX_NANOS);
            return;
        }
        MemorySegment word = s.stateWord(at);
        sleepingOn = word;
        try {
            int state = s.readerSleeps(at);
            if (Segment.uncommitted(state) && !isClosedLocally()) {
                Futex.await(word, state, timespec, sleep);
            }
        } finally {
            s.readerAwake();
            sleepingOn = null;
        }
    }

    @Override
    protected void closeTransport() throws IOException {
        try {
            unmap();
        } finally {
            following.close(position);
        }
    }

    private void unmap() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        boolean unmapped = false;
        while (true) {
            MemorySegment word = sleepingOn;
            if (word != null) {
                try {
                    Futex.wake(word, Integer.MAX_VALUE);
                } catch (IllegalStateException e) {
                    // Unmapped meanwhile: nobody sleeps on it.
                }
            }
            try {
                if (!unmapped) {
                    segment.close();
                    unmapped = true;
                }
                timespecs.close();
                return;
            } catch (IllegalStateException e) {
                // A receiving thread is in a futex wait on the segment: it leaves once woken.
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }
}
