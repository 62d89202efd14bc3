package dev.conduit.internal.log;

import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.BiasedLock;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.posix.Clocks;
import dev.conduit.internal.posix.Processes;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * The writing end of {@code log:PATH}: appends each message as one record to the last segment,
 * rolling over to the next segment when it is full.
 *
 * <p>A record is claimed by one compare-and-set of its first eight bytes, from 0 (never written)
 * to its length and this process's pid, so claims by any number of senders, in this process or
 * others, never overlap, and a claim always says how long its record is. The payload and its
 * CRC-32C follow with plain stores, and the state word, stored last with release semantics,
 * commits the record. Threads of one sender take turns under a send lock; senders take turns
 * only at the claim. A message is visible to readers when its {@code send}, {@code write} or
 * {@code trySend} returns; with {@code ?sync=always} it has also been written to the disk
 * ({@code msync}) by then.
 *
 * <p>The receiving direction is refused: a sender only sends.
 */
public final class LogSender extends AbstractConnection {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final LogDirectory directory;
    private final boolean sync;
    /** {@code ?retain=}, applied after each roll-over, or null. */
    private final Retention retention;
    private final int pid = Processes.getpid();
    /** This process's start time, stamped on each claimed record until it is committed (0: unknown). */
    private final int stamp = Writers.stamp(pid);
    private final BiasedLock sendLock = new BiasedLock();
    private final CRC32C crc = new CRC32C();
    // An automatic arena: a downcall with a shared arena's segment acquires and releases its
    // session, two atomic operations per message; this one is freed with the sender.
    private final MemorySegment timespec = Clocks.allocateTimespec(Arena.ofAuto());
    /** {@code ?time=coarse} (the default): append times of the last timer tick, a fifth of the clock's cost. */
    private final boolean coarseTime;
    // Under sendLock.
    private Segment segment;
    private ByteBuffer view;
    /** Where in {@code segment} this sender tries its next claim: a record boundary at or before the end. */
    private long next;
    /** Whether this sender moved on to a new segment since its last trim. */
    private boolean rolled;
    /** Trims asked for and not yet begun, plus the one running. */
    private final AtomicInteger trimRequests = new AtomicInteger();

    /**
     * @param segment the log's last segment; owned from now on
     * @param sync       whether each record is written to the disk before its call returns
     * @param coarseTime whether append times may be the last timer tick's ({@code ?time=coarse})
     */
    LogSender(Endpoint endpoint, LogDirectory directory, Segment segment, int maxFrame, boolean sync,
            Retention retention, boolean coarseTime) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.directory = directory;
        this.sync = sync;
        this.retention = retention;
        this.coarseTime = coarseTime;
        use(segment);
    }

    private void use(Segment s) {
        segment = s;
        view = s.data.asByteBuffer();
        // A file whose size is wrong is damaged: write nothing more into it, go on in the next one.
        next = s.sizeProblem == null ? s.tailHint() : s.capacity;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) {
        throw new UnsupportedOperationException(name + ": receive: a log sender only sends; open a receiver with"
                + " Conduit.openReceiver");
    }

    /** Appends the message as one record. */
    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        if (!lockFor(sendLock, mode)) {
            return false;
        }
        try {
            if (isClosedLocally()) {
                throw closedLocally(mode.call);
            }
            long at = claim((int) length, mode.call);
            long record = segment.sizeOf(length);
            try {
                put(payload, offset, at, length);
            } catch (RuntimeException e) {
                // This process lives on, so readers would wait for the record: tell them it will not come.
                segment.publishState(at, Segment.ABANDONED);
                throw e;
            }
            segment.publishState(at, Segment.COMMITTED);
            if (sync) {
                segment.data.asSlice(at, record).force();
            }
            if (rolled) {
                rolled = false;
                trimLater();
            }
            return true;
        } catch (IllegalStateException e) {
            if (isClosedLocally()) {
                throw closedLocally(mode.call);
            }
            throw e;
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Copies the payload into the claimed record at {@code at}, with its append time in a version
     * 3 segment, and writes the CRC-32C of both, making no wrapper.
     */
    private void put(Object payload, int offset, long at, long length) {
        long start = segment.payload(at);
        Payloads.copy(payload, offset, 0, segment.data, view, start, length);
        if (segment.recordHeader == Segment.TIMED_RECORD_HEADER) {
            segment.setTime(at, Clocks.realtimeNanos(timespec, coarseTime));
        }
        crc.reset();
        crc.update(view.limit((int) (start + length)).position((int) (at + Segment.TIME)));
        view.clear();
        segment.data.set(U32, at + Segment.CRC, (int) crc.getValue());
    }

    /**
     * Claims room for a record at the end of the log, moving past records others claimed and
     * on to the next segment when this one has no room.
     *
     * @return the record's offset in {@code segment.data}
     */
    private long claim(int length, String call) throws IOException {
        if (Segment.recordBytes(Integer.toUnsignedLong(length)) > segment.capacity) {
            throw new IOException(name + ": " + call + ": a message of " + length + " bytes does not fit in a segment"
                    + " of " + segment.capacity + " data bytes (" + segment + ")");
        }
        while (true) {
            long at = next;
            long record = segment.sizeOf(length);
            if (at + Segment.RECORD_HEADER > segment.capacity) {
                roll(call);
                continue;
            }
            long word = segment.claimAcquire(at);
            if (word == 0) {
                long hint = segment.tailHint();
                if (at < hint) {
                    // Claims are contiguous up to the hint: this is a crash hole, or a damaged
                    // length led here, into a payload. Nobody reads here; the end is at the hint.
                    next = hint;
                    continue;
                }
                if (at + record > segment.capacity) {
                    if (segment.claim(at, Segment.claimWord(Segment.END_LENGTH, pid))) {
                        segment.publishState(at, Segment.END);
                        roll(call);
                    }
                    continue;
                }
                if (segment.claim(at, Segment.claimWord(length, pid))) {
                    segment.stamp(at, stamp);
                    next = at + record;
                    segment.setTailHint(next);
                    return at;
                }
                continue;
            }
            int claimed = (int) word;
            if (claimed == Segment.END_LENGTH) {
                roll(call);
                continue;
            }
            long size = segment.sizeOf(Integer.toUnsignedLong(claimed));
            if (claimed < 0 || at + size > segment.capacity) {
                // A damaged length: no one can step over it. Go on at the hint if it is further
                // on; otherwise this segment's records end here for writers, and for readers
                // (they move on when the next segment exists, as past a lost END).
                long hint = segment.tailHint();
                if (hint > at) {
                    next = hint;
                } else {
                    roll(call);
                }
                continue;
            }
            next = at + size;
        }
    }

    /**
     * Moves on to the next segment, making it if nobody has. If it cannot be made (a full disk),
     * this sender stays where it was, so the next send tries again.
     */
    private void roll(String call) throws IOException {
        Segment following = directory.next(segment, call);
        segment.close();
        use(following);
        rolled = retention != null;
    }

    /**
     * Applies {@code ?retain=} in a virtual thread once the message that rolled over is in the
     * log, so that no send waits for a trim's file operations. Requests that come while a trim
     * runs make one more trim after it.
     */
    private void trimLater() {
        if (trimRequests.getAndIncrement() == 0) {
            Thread.ofVirtual().name(name + " retain").start(() -> {
                int asked;
                do {
                    asked = trimRequests.get();
                    trim();
                } while (trimRequests.addAndGet(-asked) > 0);
            });
        }
    }

    /**
     * A trim that fails (a file another user owns, say) fails no send: it is logged, and the next
     * roll-over tries again.
     */
    private void trim() {
        try {
            retention.trim(directory);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: send: retain: {1}", name, e.toString());
        }
    }
    @Override
    protected void closeTransport() throws IOException {
        if (sendLock.tryLock(CLOSE_LINGER_NANOS)) {
            try {
                segment.close();
            } finally {
                sendLock.unlock();
            }
        }
    }
}
