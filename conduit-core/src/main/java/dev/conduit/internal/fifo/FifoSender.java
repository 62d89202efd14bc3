package dev.conduit.internal.fifo;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.Fifos;
import dev.conduit.internal.posix.PosixFiles;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The write end of a FIFO, opened {@code O_WRONLY|O_NONBLOCK} (which fails with {@code ENXIO}
 * while no receiver has the FIFO open).
 *
 * <p><b>Whole frames.</b> A frame (header and payload) of at most {@code PIPE_BUF} (4096) bytes
 * goes out in one {@code write(2)}, which POSIX makes atomic: it never interleaves with another
 * writer's, in this process or any other, and a non-blocking one writes all or nothing. A longer
 * frame goes out in several writes under this end's lock, so senders in this process never
 * interleave; a writer in another process writing frames longer than {@code PIPE_BUF} at the
 * same time may interleave with it, and nothing on a FIFO can prevent that.
 *
 * <p><b>Batches.</b> {@code write} copies a frame that fits into the buffer behind the frames
 * written before it, up to {@code PIPE_BUF} bytes in all, and writes them in one system call when
 * the next would not fit, or on {@code send}, {@code flush} or {@code close}: as atomic as one
 * frame, so a batch never interleaves with another writer's either. The next {@code send} goes in
 * the same write when it fits.
 *
 * <p><b>trySend of a long frame.</b> Only the kernel knows whether the rest will fit, so a
 * {@code trySend} whose first part went out keeps the rest and a one-shot virtual thread writes it
 * as the receiver makes room; later calls go after it. {@code close} gives it up to 2 s.
 *
 * <p><b>A vanished receiver.</b> Writing to a FIFO nobody reads raises {@code SIGPIPE}, which
 * HotSpot ignores (its handler for it does nothing), so the write fails with {@code EPIPE}: a
 * {@link ConnectionClosedException} naming the endpoint.
 */
final class FifoSender extends FifoEnd {
    /** Frames are copied here and written from here: one system call for a frame that fits. */
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ByteBuffer buffer = nativeBuffer(BUFFER_BYTES);
    private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
    private final long bufferAddress = bufferSegment.address();
    private volatile long closeRequestedAt;
    /** Bytes of whole frames written and not yet sent, at the buffer's start; under io. */
    private int batched;
    // The rest of a long frame a trySend began, under io.
    private byte[] pending;
    private int pendingFrom;

    private final Framing framing;

    FifoSender(Endpoint endpoint, int maxFrame, Framing framing, int fd, String file) {
        super(endpoint, maxFrame, fd, file);
        this.framing = framing;
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        if (mode == SendMode.TRY_SEND) {
            if (!io.tryLock()) {
                return false;
            }
        } else {
            io.lock();
        }
        try {
            if (isClosedLocally()) {
                throw closedLocally(mode.call);
            }
            framing.checkMessage(name, mode.call, payload, offset, length);
            if (pending != null && !writePending(mode.call, mode == SendMode.TRY_SEND, 0)) {
                return false;
            }
            int total = (int) Math.min(framing.encodedLength(length), Integer.MAX_VALUE);
            if (total > Fifos.PIPE_BUF || batched + total > Fifos.PIPE_BUF) {
                if (batched > 0 && !writeAll(mode, batched)) {
                    return false;
                }
                batched = 0;
                if (total > Fifos.PIPE_BUF) {
                    return writeLong(payload, offset, length, mode);
                }
            }
            copy(payload, offset, length, 0, total, batched);
            batched += total;
            if (mode == SendMode.WRITE) {
                return true;
            }
            if (!writeAll(mode, batched)) {
                batched -= total; // a refused trySend takes its frame back; what was written stays
                return false;
            }
            batched = 0;
            return true;
        } finally {
            io.unlock();
        }
    }

    /**
     * Copies the bytes {@code [from, from + count)} of the message as it goes on the wire (for
     * frames: header, then payload) into the buffer at {@code base}.
     */
    private void copy(Object payload, int offset, long length, long from, int count, int base) {
        framing.copyEncoded(payload, offset, length, from, count, bufferSegment, buffer, base);
    }

    /** Writes the buffer's first {@code count} (at most PIPE_BUF) bytes in one write. */
    private boolean writeAll(SendMode mode, int count) throws IOException {
        while (true) {
            long n = PosixFiles.write(fd, bufferAddress, count, errnoState);
            if (n == count) {
                return true;
            }
            checkWritable(mode.call, n);
            if (mode == SendMode.TRY_SEND) {
                return false;
            }
            waitForRoom(mode.call);
        }
    }

    /** Writes a frame longer than PIPE_BUF through the buffer, in as many writes as it takes. */
    private boolean writeLong(Object payload, int offset, long length, SendMode mode) throws IOException {
        long total = framing.encodedLength(length);
        long sent = 0;
        while (sent < total) {
            int chunk = (int) Math.min(total - sent, BUFFER_BYTES);
            copy(payload, offset, length, sent, chunk, 0);
            int done = 0;
            while (done < chunk) {
                long n = PosixFiles.write(fd, bufferAddress + done, chunk - done, errnoState);
                if (n > 0) {
                    done += (int) n;
                    continue;
                }
                checkWritable(mode.call, n);
                if (mode == SendMode.TRY_SEND) {
                    if (sent == 0 && done == 0) {
                        return false;
                    }
                    keepRest(payload, offset, length, sent, chunk, done);
                    return true;
                }
                waitForRoom(mode.call);
            }
            sent += chunk;
        }
        return true;
    }

    /** Keeps what a trySend could not write, and starts the thread that writes it. */
    private void keepRest(Object payload, int offset, long length, long sent, int chunk, int done) {
        long total = framing.encodedLength(length);
        byte[] rest = new byte[(int) (total - sent - done)];
        MemorySegment.copy(bufferSegment, ValueLayout.JAVA_BYTE, done, rest, 0, chunk - done);
        int at = chunk - done;
        framing.copyEncoded(payload, offset, length, sent + chunk, rest.length - at, rest, at);
        pending = rest;
        pendingFrom = 0;
        Thread.ofVirtual().name("conduit-fifo-flush " + name).start(this::flushPending);
    }

    private void flushPending() {
        io.lock();
        try {
            if (pending != null && fdOpen()) {
                writePending("trySend", false, CLOSE_LINGER_NANOS);
            }
        } catch (IOException e) {
            // The receiver went away or the end was closed: the next call reports it.
        } finally {
            io.unlock();
        }
    }

    /**
     * Writes the kept rest of a long frame.
     *
     * @param once   give up at the first wait instead of waiting
     * @param linger after close, how long to keep trying (0: stop at once)
     * @return whether it is all written
     */
    private boolean writePending(String call, boolean once, long linger) throws IOException {
        while (pendingFrom < pending.length) {
            int chunk = Math.min(pending.length - pendingFrom, BUFFER_BYTES);
            MemorySegment.copy(pending, pendingFrom, bufferSegment, ValueLayout.JAVA_BYTE, 0, chunk);
            long n = PosixFiles.write(fd, bufferAddress, chunk, errnoState);
            if (n > 0) {
                pendingFrom += (int) n;
                continue;
            }
            checkWritable(call, n);
            if (once) {
                return false;
            }
            long closing = closeRequestedAt;
            if (closing != 0 && (linger == 0 || System.nanoTime() - closing > linger)) {
                throw closedLocally(call);
            }
            await(PosixFiles.POLLOUT, 0, false);
        }
        pending = null;
        return true;
    }

    /** @throws IOException unless {@code n} is a write that failed with {@code EAGAIN} (or EINTR) */
    private void checkWritable(String call, long n) throws IOException {
        if (n >= 0) {
            return;
        }
        int errno = Errno.value(errnoState);
        if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
            return;
        }
        if (errno == Errno.EPIPE) {
            throw new ConnectionClosedException(name + ": " + call + ": the receiver closed the FIFO (EPIPE);"
                    + " nothing more can be sent on this end");
        }
        throw failure(call, "write");
    }

    private void waitForRoom(String call) throws IOException {
        await(PosixFiles.POLLOUT, 0, false);
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
    }

    @Override
    protected void flushWritten() throws IOException {
        io.lock();
        try {
            if (!fdOpen()) {
                throw closedLocally("flush");
            }
            if (pending != null) {
                writePending("flush", false, 0);
            }
            if (batched > 0) {
                writeAll(SendMode.SEND, batched);
                batched = 0;
            }
        } finally {
            io.unlock();
        }
    }

    /** Sends the batch, waiting up to the close linger for room; a receiver gone takes it with it. */
    @Override
    protected void beforeClose() {
        long since = System.nanoTime();
        try {
            while (batched > 0 && pending == null) {
                long n = PosixFiles.write(fd, bufferAddress, batched, errnoState);
                if (n == batched) {
                    batched = 0;
                } else if (n >= 0 || Errno.value(errnoState) != Errno.EAGAIN && Errno.value(errnoState) != Errno.EINTR
                        || System.nanoTime() - since > CLOSE_LINGER_NANOS) {
                    return;
                } else {
                    await(PosixFiles.POLLOUT, since + CLOSE_LINGER_NANOS, false);
                }
            }
        } catch (IOException e) {
            // Closing all the same; the receiver sees the end after what did arrive.
        }
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) {
        throw new UnsupportedOperationException(name + ": receive: this is the sending end of a FIFO");
    }

    @Override
    protected void closeRequested() {
        closeRequestedAt = System.nanoTime() | 1;
    }
}
