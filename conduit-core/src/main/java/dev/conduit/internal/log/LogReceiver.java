package dev.conduit.internal.log;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.posix.Libc;

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
 * alive, and skipped once it is gone; a committed record whose checksum does not match (torn
 * by a crash of the machine) is skipped. Neither is ever returned.
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
    private final CRC32C crc = new CRC32C();
    private final Arena timespecs = Arena.ofShared();
    private final MemorySegment timespec = Libc.allocateTimespec(timespecs);
    private volatile Segment segment;
    /** The state word a thread of this receiver sleeps on, for close to wake. */
    private volatile MemorySegment sleepingOn;
    /** The log position after the last message handed out. */
    private volatile long position;
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

    /**
     * @param segment the segment to start in; owned from now on
     * @param offset  where in its data the first record to read starts: a record boundary
     */
    LogReceiver(Endpoint endpoint, LogDirectory directory, Segment segment, long offset, int maxFrame,
            long spinNanos) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.directory = directory;
        this.spinNanos = spinNanos;
        use(segment, offset);
    }

    private void use(Segment s, long at) {
        nextFile = directory.segmentFile(s.end());
        segment = s;
        view = s.data.asByteBuffer().asReadOnlyBuffer();
        offset = at;
        position = s.base + at;
    }

    /**
     * @return the log position after the last message this receiver handed out (or where it
     *         started): open a receiver with {@code ?from=} this value to go on from there.
     *         Any thread may call it.
     */
    public long position() {
        return position;
    }

    /** @return how many records (or crash holes) this receiver skipped as torn or abandoned, for tests */
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
            if (offset + Segment.RECORD_HEADER > s.capacity) {
                if (!roll()) {
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
                if (!roll()) {
                    return null;
                }
                continue;
            }
            long record = Segment.recordBytes(Integer.toUnsignedLong(length));
            if (length < 0 || offset + record > s.capacity) {
                throw fail(new ConnectionClosedException(name + ": receive: the log is corrupt: a record of "
                        + Integer.toUnsignedString(length) + " bytes at offset " + offset + " of " + s));
            }
            int state = s.stateAcquire(offset);
            if (state == 0) {
                if (Libc.processExists((int) (word >>> 32))) {
                    return null;
                }
                // The writer is gone, so the state is final now: it may have committed just before.
                state = s.stateAcquire(offset);
            }
            long at = offset;
            offset += record;
            if (state != Segment.COMMITTED) {
                skipped++;
                position = s.base + offset;
                continue;
            }
            if (length > maxFrame) {
                position = s.base + offset;
                throw fail(new FrameTooLongException(name + ": receive", length, maxFrame));
            }
            int start = (int) at + Segment.RECORD_HEADER;
            crc.reset();
            crc.update(view.limit(start + length).position(start));
            position = s.base + offset;
            if ((int) crc.getValue() != s.crc(at)) {
                skipped++;
                continue;
            }
            return view.limit(start + length).position(start);
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
            offset = resync(s, offset + Segment.ALIGN, hint);
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

    /** @return the first offset from {@code from} whose records lead exactly to {@code hint}, or the hint */
    private static long resync(Segment s, long from, long hint) {
        for (long candidate = from; candidate < hint; candidate += Segment.ALIGN) {
            long at = candidate;
            while (at < hint) {
                long word = s.claimAcquire(at);
                int length = (int) word;
                long size = Segment.recordBytes(Integer.toUnsignedLong(length));
                if (word == 0 || length < 0 || at + size > s.capacity) {
                    break;
                }
                at += size;
            }
            if (at == hint) {
                return candidate;
            }
        }
        return hint;
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
        Segment following;
        try {
            following = directory.next(old, "receive");
        } catch (IOException e) {
            if (Files.exists(nextFile, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
            cannotRoll = true;
            return false;
        }
        cannotRoll = false;
        use(following, 0);
        old.close();
        if (isClosedLocally()) {
            // A close that came meanwhile unmapped the old segment only.
            following.close();
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
                if (s.stateAcquire(at) != 0) {
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
            if (s.readerSleeps(at) == 0 && !isClosedLocally()) {
                Libc.futexWait(word, 0, timespec, sleep);
            }
        } finally {
            s.readerAwake();
            sleepingOn = null;
        }
    }

    @Override
    protected void closeTransport() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        boolean unmapped = false;
        while (true) {
            MemorySegment word = sleepingOn;
            if (word != null) {
                try {
                    Libc.futexWake(word, Integer.MAX_VALUE);
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
