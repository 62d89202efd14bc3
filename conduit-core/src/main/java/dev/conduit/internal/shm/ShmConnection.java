package dev.conduit.internal.shm;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.BiasedLock;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.jfr.SendBlockedEvent;
import dev.conduit.internal.posix.Futex;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A connection over two shared-memory rings ({@link RingFile}): this side produces into one and
 * consumes from the other. A Unix socket from the handshake stays open beside them as the
 * liveness signal: when the peer process dies, however it dies, the kernel closes its end.
 *
 * <p><b>Sending.</b> Under {@code sendLock}, a message becomes one record (or, if longer than
 * half the ring, {@link Ring#FIRST}/{@link Ring#MIDDLE}/{@link Ring#LAST} pieces) written in
 * place and committed by a release store of its header, which the consumer polls; the header
 * word after it is zeroed first. Publishing the tail, a release store too, is for a sleeping
 * consumer: a {@code write} leaves it until {@code flush}, a {@code send}, or a wait for room.
 * After publishing, the producer wakes the consumer with {@code FUTEX_WAKE} only if the
 * consumer has said it sleeps, so a busy stream makes no system calls.
 *
 * <p><b>Receiving.</b> A whole-record message is handed over as a read-only view into the ring;
 * its bytes are given back (the head moves past them) at the next receive call, so the view
 * stays valid until then. A message in pieces is put together in an array.
 *
 * <p><b>Waiting.</b> A side with nothing to do spins for the {@code spin} budget, then sets its
 * sleeping flag, looks once more, and sleeps in {@code FUTEX_WAIT} on the other side's
 * position word, for at most {@value #SLICE_MILLIS} ms at a time so that it checks the socket
 * for a dead peer at least that often. Virtual threads spin too (yielding their carrier now and
 * then), then, since a native wait would hold their carrier, park instead of sleeping, up to
 * {@value #VIRTUAL_PARK_MAX_MICROS} µs at a time.
 */
public final class ShmConnection extends AbstractConnection {
    static final long SLICE_MILLIS = 50;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    static final long VIRTUAL_PARK_MAX_MICROS = 1000;
    private static final long VIRTUAL_PARK_MAX_NANOS = TimeUnit.MICROSECONDS.toNanos(VIRTUAL_PARK_MAX_MICROS);
    private static final long VIRTUAL_PARK_MIN_NANOS = 10_000;
    private static final int VIRTUAL_YIELD_EVERY = 256;
    static final int LIVENESS_EVERY = 1024;
    /** A clock read costs more than a look at the ring (tens of ns on a VM): spin between reads. */
    private static final int SPINS_PER_CLOCK_READ = 64;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private final RingFile file;
    private final Ring in;
    private final Ring out;
    /** The handshake socket, the peer's sign of life; {@code null} for a fan-out's publisher. */
    private final Connection control;
    private final Runnable onClose;
    private final long spinNanos;
    private final BiasedLock sendLock = new BiasedLock();
    private final ByteBuffer inView;
    private final ByteBuffer outView;
    private final MemorySegment receiveTimespec;
    private final MemorySegment sendTimespec;
    private final Arena timespecs = Arena.ofShared();
    private volatile boolean peerGone;
    private volatile long livenessCheckedAt = System.nanoTime();

    // Consumer state, used under AbstractConnection's receive lock.
    private long head;
    private long held;
    private long headPublished;
    private byte[] large;
    private int largeFilled;
    private ByteBuffer frame;
    private byte[] frameArray;
    private long virtualPark = VIRTUAL_PARK_MIN_NANOS;
    private int receiveChecks;
    private IOException failure;

    // Producer state, used under sendLock.
    private long tail;
    private long tailPublished;
    private long headSeen;
    private int sendChecks;

    /**
     * @param endpoint  the endpoint, as clients name it
     * @param file      the mapped rings; this connection owns and closes them
     * @param server    whether this is the listening side (consumes ring 0, produces into ring 1)
     * @param control   the handshake connection, kept open as the liveness signal; owned
     * @param maxFrame  the largest message either way
     * @param spinNanos how long a wait spins before it sleeps
     */
    ShmConnection(Endpoint endpoint, RingFile file, boolean server, Connection control, int maxFrame,
            long spinNanos) {
        file.settleBarriers();
        this(endpoint, file, server ? file.clientToServer : file.serverToClient,
                server ? file.serverToClient : file.clientToServer, control, maxFrame, spinNanos, () -> { });
    }

    /**
     * A connection on rings of its own choosing: a fan-out's publisher ({@code in} is
     * {@link Ring#NONE}, {@code control} is {@code null}) or subscriber ({@code out} is
     * {@link Ring#NONE}).
     *
     * @param onClose what else closing releases, run after the rings say closed and before they
     *                are unmapped
     */
    ShmConnection(Endpoint endpoint, RingFile file, Ring in, Ring out, Connection control, int maxFrame,
            long spinNanos, Runnable onClose) {
        super(endpoint, endpoint.toString(), maxFrame);
        countSendsUnderLock();
        this.file = file;
        this.in = in;
        this.out = out;
        this.control = control;
        this.onClose = onClose;
        this.spinNanos = spinNanos;
        this.inView = in.data.asByteBuffer().asReadOnlyBuffer();
        this.outView = out.data.asByteBuffer();
        this.receiveTimespec = Futex.allocateTimespec(timespecs);
        this.sendTimespec = Futex.allocateTimespec(timespecs);
        // A ring is fresh (both positions 0) when a connection starts.
        this.head = in.headAcquire();
        this.headPublished = head;
        this.tail = out.tailAcquire();
        this.tailPublished = tail;
        this.headSeen = out.headAcquire();
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return control == null ? Optional.empty() : control.peerCredentials();
    }

    // ---- receiving -------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        return take(waitNanos) ? frame : null;
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        if (!take(waitNanos)) {
            return null;
        }
        byte[] array = frameArray;
        if (array == null) {
            array = new byte[frame.remaining()];
            frame.get(frame.position(), array);
        }
        frameArray = null;
        frame = null;
        try {
            release();
        } catch (IllegalStateException e) {
            throw closedLocally("receive");
        }
        return array;
    }

    /**
     * Within a {@code poll}, the bytes of the messages handled so far are given back once, when
     * it ends: one release store (and fence) per poll instead of one per message.
     */
    @Override
    protected void pollDone() {
        try {
            release();
        } catch (IllegalStateException e) {
            // Unmapped by a concurrent close: nothing to give back to.
        }
    }

    private boolean take(long waitNanos) throws IOException {
        if (in == Ring.NONE) {
            throw new UnsupportedOperationException(name + ": receive: this is a fan-out's publisher, which only"
                    + " sends; subscribe with Conduit.openReceiver");
        }
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        boolean spin = true;
        try {
            if (waitNanos == NEXT_IN_POLL) {
                head += held;
                held = 0;
            } else {
                release();
            }
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                if (failure != null) {
                    throw new ConnectionClosedException(name + ": receive: connection lost", failure);
                }
                if (tryTake()) {
                    virtualPark = VIRTUAL_PARK_MIN_NANOS;
                    return true;
                }
                if (peerDone(in.flagAcquire(Ring.PRODUCER_CLOSED) != 0, ++receiveChecks)) {
                    if (tryTake()) {
                        return true;
                    }
                    if (large != null) {
                        failure = new ConnectionClosedException(name + ": receive: peer closed in the middle of a"
                                + " message (" + largeFilled + " of its " + large.length + " bytes received)");
                        large = null;
                        throw failure;
                    }
                    throw closedByPeer("receive", null);
                }
                if (waitNanos == 0 || waitNanos == NEXT_IN_POLL
                        || (waitNanos > 0 && deadline - System.nanoTime() <= 0)) {
                    return false;
                }
                awaitData(deadline, spin);
                spin = false;
            }
        } catch (IllegalStateException e) {
            // The rings were unmapped by a concurrent close.
            if (isClosedLocally()) {
                throw closedLocally("receive");
            }
            throw e;
        }
    }

    /** Gives the bytes of the messages handed out so far back to the producer. */
    private void release() {
        head += held;
        held = 0;
        if (head != headPublished) {
            publishHead();
        }
    }

    private void publishHead() {
        headPublished = head;
        if (in.publishHead(head)) {
            in.wakeProducer();
        }
    }

    /** @return whether a message is ready in {@code frame} (and, if assembled, {@code frameArray}) */
    private boolean tryTake() throws IOException {
        while (true) {
            int index = (int) (head & in.mask);
            long header = in.headerAcquire(index);
            if (header == 0) {
                return false;
            }
            int length = (int) header;
            int kind = (int) (header >>> 32);
            if (kind == Ring.PADDING) {
                // Padding only fills an end too short for a record; one elsewhere, stepped over
                // lap after lap, would be a hang, not an error.
                if (in.capacity - index >= in.maxRecord) {
                    throw corrupt("padding at index " + index + ", where any record would fit");
                }
                head += in.capacity - index;
                continue;
            }
            // A record longer than the producer ever writes would send head past records not yet
            // written, and reading would never end.
            if (length < 0 || index + Ring.RECORD_HEADER + (long) length > in.capacity
                    || Ring.align(Ring.RECORD_HEADER + (long) length) > in.maxRecord) {
                throw corrupt("a record of " + Integer.toUnsignedString(length) + " bytes at index " + index
                        + " in a ring of " + in.capacity);
            }
            int start = index + Ring.RECORD_HEADER;
            switch (kind) {
                case Ring.MESSAGE -> {
                    if (large != null) {
                        throw corrupt("a whole message inside a message in pieces");
                    }
                    checkLength(length);
                    frame = inView.limit(start + length).position(start);
                    frameArray = null;
                    held = Ring.align(Ring.RECORD_HEADER + length);
                    return true;
                }
                case Ring.FIRST -> {
                    if (large != null || length < Ring.TOTAL_BYTES) {
                        throw corrupt("a first piece " + (large != null ? "inside another message" : "too short"));
                    }
                    long total = in.data.get(LONG, start);
                    if (total < 0) {
                        throw corrupt("a message of " + Long.toUnsignedString(total) + " bytes");
                    }
                    checkLength(total);
                    if (total > Frames.MAX_ARRAY_PAYLOAD) {
                        fail(new FrameTooLongException(name + ": receive (Java array limit)", total,
                                Frames.MAX_ARRAY_PAYLOAD));
                    }
                    large = new byte[(int) total];
                    largeFilled = 0;
                    append(start + Ring.TOTAL_BYTES, length - Ring.TOTAL_BYTES);
                }
                case Ring.MIDDLE, Ring.LAST -> {
                    if (large == null) {
                        if (in instanceof FanoutRing) {
                            // A subscriber joins at the published tail, which a publisher waiting
                            // for room leaves between two pieces: the rest of a message sent
                            // before it joined, not for it.
                            head += Ring.align(Ring.RECORD_HEADER + (long) length);
                            publishHead();
                            continue;
                        }
                        throw corrupt("a piece with no first piece before it");
                    }
                    append(start, length);
                    if (kind == Ring.LAST) {
                        if (largeFilled != large.length) {
                            throw corrupt("a message of " + large.length + " bytes that ended after " + largeFilled);
                        }
                        frameArray = large;
                        frame = ByteBuffer.wrap(large).asReadOnlyBuffer();
                        large = null;
                        return true;
                    }
                }
                default -> throw corrupt("record kind " + kind + " at index " + index);
            }
        }
    }

    /** Copies one piece into the message being put together, and gives its bytes back at once. */
    private void append(int from, int count) throws IOException {
        if (count > large.length - largeFilled) {
            throw corrupt("pieces longer than the " + large.length + " bytes announced");
        }
        MemorySegment.copy(in.data, ValueLayout.JAVA_BYTE, from, large, largeFilled, count);
        largeFilled += count;
        head += Ring.align((long) from - (head & in.mask) + count);
        publishHead();
    }

    private void checkLength(long length) throws IOException {
        if (length > maxFrame) {
            fail(new FrameTooLongException(name + ": receive", length, maxFrame));
        }
    }

    private ConnectionClosedException corrupt(String what) throws IOException {
        ConnectionClosedException e = new ConnectionClosedException(name + ": receive: the ring is corrupt: "
                + what);
        fail(e);
        return e;
    }

    private void fail(IOException e) throws IOException {
        failure = e;
        close();
        throw e;
    }

    /** @param spin whether to spin first: only at the start of a wait, not after every slice */
    private void awaitData(long deadline, boolean spin) throws IOException {
        boolean virtual = Thread.currentThread().isVirtual();
        if (spin && spinNanos > 0) {
            long until = spinUntil(deadline);
            int spins = 0;
            long index = head & in.mask;
            do {
                if (in.headerAcquire(index) != 0) {
                    return;
                }
                pause(virtual, spins);
            } while ((++spins & SPINS_PER_CLOCK_READ - 1) != 0 || stillSpinning(until));
        }
        long sleep = sleepNanos(deadline);
        if (sleep <= 0 || peerDone(false, 0)) {
            return;
        }
        if (virtual) {
            LockSupport.parkNanos(Math.min(sleep, virtualPark));
            virtualPark = Math.min(2 * virtualPark, VIRTUAL_PARK_MAX_NANOS);
            return;
        }
        try {
            // The tail first: a tail that has not moved by the time the header is seen empty is
            // one the producer's next publication changes, so the futex wait cannot miss it.
            long now = in.consumerSleeps();
            if (in.headerAcquire(head & in.mask) == 0 && !isClosedLocally()
                    && in.flagAcquire(Ring.PRODUCER_CLOSED) == 0) {
                Futex.await(in.tailWord, (int) now, receiveTimespec, sleep);
            }
        } finally {
            in.consumerAwake();
        }
    }

    // ---- sending ---------------------------------------------------------------------------

    @Override
    protected void flushWritten() throws IOException {
        sendLock.lock();
        try {
            checkSendable("flush");
            publishTail();
        } catch (IllegalStateException e) {
            throw closedLocally("flush");
        } finally {
            sendLock.unlock();
        }
    }

    /** Puts the message in the ring, whole or in pieces, and publishes it unless it is written. */
    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        boolean block = mode != SendMode.TRY_SEND;
        if (!lockFor(sendLock, mode)) {
            return false;
        }
        try {
            checkSendable(mode.call);
            long record = Ring.align(Ring.RECORD_HEADER + length);
            if (record <= out.maxRecord) {
                long index = claim(record, block, mode.call);
                if (index < 0) {
                    return false;
                }
                Payloads.copy(payload, offset, 0, out.data, outView, index + Ring.RECORD_HEADER, length);
                seal(index, (int) length, Ring.MESSAGE, record);
            } else if (!sendPieces(payload, offset, length, block, mode.call)) {
                return false;
            }
            if (mode != SendMode.WRITE) {
                publishTail();
            }
            counters.sent(length);
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

    /** The largest piece of a message in pieces, so a piece's record is at most {@code maxRecord}. */
    private long pieceBytes() {
        return out.maxRecord - Ring.RECORD_HEADER - Ring.TOTAL_BYTES;
    }

    private boolean sendPieces(Object payload, int offset, long length, boolean block, String call)
            throws IOException {
        long piece = pieceBytes();
        if (!block) {
            long pieces = (length + piece - 1) / piece;
            long bytes = pieces * out.maxRecord + out.maxRecord; // and at most one padding
            headSeen = out.headAcquire();
            if (bytes > out.capacity - (tail - headSeen)) {
                return false;
            }
        }
        long sent = 0;
        while (sent < length) {
            boolean first = sent == 0;
            long count = Math.min(piece, length - sent);
            long extra = first ? Ring.TOTAL_BYTES : 0;
            long record = Ring.align(Ring.RECORD_HEADER + extra + count);
            long index = claim(record, true, call);
            if (first) {
                out.data.set(LONG, index + Ring.RECORD_HEADER, length);
            }
            Payloads.copy(payload, offset, sent, out.data, outView, index + Ring.RECORD_HEADER + extra, count);
            sent += count;
            seal(index, (int) (extra + count), first ? Ring.FIRST : sent == length ? Ring.LAST : Ring.MIDDLE, record);
        }
        return true;
    }

    /** Commits the record of {@code record} bytes at {@code index} (the tail's) and moves the tail past it. */
    private void seal(long index, int length, int kind, long record) {
        out.commit(index, Ring.header(length, kind), index + record);
        tail += record;
    }

    /**
     * Makes room for a record of {@code record} bytes at the tail, first filling the rest of the
     * data area with padding if the record does not fit before its end.
     *
     * @return the record's index in the data area, or -1 if there is no room and {@code block} is false
     */
    private long claim(long record, boolean block, String call) throws IOException {
        long index = tail & out.mask;
        long toEnd = out.capacity - index;
        long pad = record > toEnd ? toEnd : 0;
        // And the header word after the record, zeroed before the record is committed.
        long need = pad + record + Ring.RECORD_HEADER;
        if (tail + need - headSeen > out.capacity && !makeRoom(need, block, call)) {
            return -1;
        }
        if (pad > 0) {
            seal(index, 0, Ring.PADDING, pad);
            index = 0;
        }
        return index;
    }

    /**
     * The ring looked full: looks again at the consumer's head, and waits for room if
     * {@code block}. Out of {@link #claim}, so the send path the JIT inlines stays small.
     *
     * @return whether there is room now (false only when not {@code block})
     */
    private boolean makeRoom(long need, boolean block, String call) throws IOException {
        boolean spin = true;
        long since = 0;
        SendBlockedEvent event = null;
        try {
            while (tail + need - headSeen > out.capacity) {
                headSeen = out.headAcquire();
                if (tail + need - headSeen <= out.capacity) {
                    break;
                }
                if (!block) {
                    return false;
                }
                if (spin) {
                    event = sendBlockBegins();
                    since = System.nanoTime();
                }
                publishTail();
                awaitRoom(need, spin);
                spin = false;
                checkSendable(call);
            }
        } finally {
            if (!spin) {
                sendBlockEnds(since, event, call);
            }
        }
        return true;
    }

    private void publishTail() {
        if (tail == tailPublished) {
            return;
        }
        tailPublished = tail;
        if (out.publishTail(tail)) {
            out.wakeConsumer();
        }
    }

    private void awaitRoom(long need, boolean spin) throws IOException {
        boolean virtual = Thread.currentThread().isVirtual();
        if (spin && spinNanos > 0) {
            long until = spinUntil(0);
            int spins = 0;
            do {
                if (tail + need - out.headAcquire() <= out.capacity) {
                    return;
                }
                pause(virtual, spins);
            } while ((++spins & SPINS_PER_CLOCK_READ - 1) != 0 || stillSpinning(until));
        }
        if (peerDone(false, 0)) {
            return;
        }
        if (virtual) {
            LockSupport.parkNanos(VIRTUAL_PARK_MAX_NANOS);
            return;
        }
        try {
            long now = out.producerSleeps();
            if (now == headSeen && !isClosedLocally() && out.flagAcquire(Ring.CONSUMER_CLOSED) == 0) {
                Futex.await(out.producerWord(), out.producerWordValue(now), sendTimespec, SLICE_NANOS);
            }
        } finally {
            out.producerAwake();
        }
    }

    private void checkSendable(String call) throws IOException {
        if (out == Ring.NONE) {
            throw new UnsupportedOperationException(name + ": " + call + ": this is a fan-out's subscriber, which"
                    + " only receives");
        }
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
        if (peerDone(out.flagAcquire(Ring.CONSUMER_CLOSED) != 0, ++sendChecks)) {
            throw closedByPeer(call, null);
        }
    }

    // ---- liveness and closing ----------------------------------------------------------------

    /**
     * @param closedFlag whether the ring says the peer closed its end
     * @param calls      a count of the caller's calls that did not wait, or 0 from a wait: the
     *                   socket is asked only on every {@value #LIVENESS_EVERY}th of those, so
     *                   a busy stream pays no clock read and no system call per message
     * @return whether the peer is gone: it closed its end, or its process died. The socket is
     *         asked at most once per {@value #SLICE_MILLIS} ms.
     */
    private boolean peerDone(boolean closedFlag, int calls) {
        if (closedFlag || peerGone) {
            return true;
        }
        if ((calls & (LIVENESS_EVERY - 1)) != 0 || control == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - livenessCheckedAt < SLICE_NANOS) {
            return false;
        }
        livenessCheckedAt = now;
        try {
            control.tryReceive();
        } catch (IOException e) {
            peerGone = true;
        }
        return peerGone;
    }

    /**
     * One turn of a spin. A virtual thread spins too, as the peer's answer usually comes within
     * the spin and a park costs it tens of microseconds, but it yields its carrier every
     * {@value #VIRTUAL_YIELD_EVERY} turns so that the other virtual threads there still run.
     */
    private static void pause(boolean virtual, int spins) {
        if (virtual && (spins & VIRTUAL_YIELD_EVERY - 1) == VIRTUAL_YIELD_EVERY - 1) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    /** @return when a spin that starts now ends: after the spin budget, or at the deadline if sooner */
    private long spinUntil(long deadline) {
        long now = System.nanoTime();
        long until = spinNanos > Long.MAX_VALUE / 2 ? now + Long.MAX_VALUE / 2 : now + spinNanos;
        return deadline != 0 && deadline - until < 0 ? deadline : until;
    }

    /** @return whether to go on spinning; ends a spin (even {@code ?spin=forever}) when the peer is gone */
    private boolean stillSpinning(long until) {
        return System.nanoTime() - until < 0 && !peerDone(false, 0) && !isClosedLocally();
    }

    private long sleepNanos(long deadline) {
        if (deadline == 0) {
            return SLICE_NANOS;
        }
        return Math.min(SLICE_NANOS, deadline - System.nanoTime());
    }

    @Override
    protected void closeTransport() throws IOException {
        if (sendLock.tryLock(CLOSE_LINGER_NANOS)) {
            try {
                publishTail();
            } finally {
                sendLock.unlock();
            }
        }
        out.producerCloses();
        in.consumerCloses();
        wakeAll();
        try {
            if (control != null) {
                control.close();
            }
            onClose.run();
        } finally {
            unmap();
        }
    }

    /** Wakes every sleeper on either ring: the peer's, and this side's own blocked threads. */
    private void wakeAll() {
        for (MemorySegment word : new MemorySegment[] {out.tailWord, out.producerWord(), in.tailWord, in.producerWord()}) {
            Futex.wake(word, Integer.MAX_VALUE);
        }
    }

    /**
     * Unmaps the rings once no thread of this side is in a futex wait on them; a woken waiter
     * sees the connection closed and leaves at once. A thread that stays (it cannot, but if) after
     * the linger leaves the mapping in place rather than crash the process.
     */
    private void unmap() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        boolean fileClosed = false;
        while (true) {
            try {
                if (!fileClosed) {
                    file.close();
                    fileClosed = true;
                }
                timespecs.close();
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
                wakeAll();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }
}
