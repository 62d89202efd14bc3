package dev.conduit.internal.socket;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.BiasedLock;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.jfr.SendBlockedEvent;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.frame.StreamDecoder;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A connection over a stream {@link SocketChannel} (Unix domain or TCP), kept in
 * non-blocking mode so that time-outs and non-blocking calls need no thread; waits go through a
 * per-direction selector ({@link Readiness}), made on first need.
 *
 * <p><b>Sending.</b> Frames are encoded into one direct send buffer, under {@code sendLock},
 * so frames never interleave. Its bytes from {@code unsentStart} to {@code unsentEnd} are the
 * queue: a {@code send} appends its frame and writes the queue with one {@code write} call; a
 * {@code write} only appends, and writes the queue first when the frame does not fit. A frame
 * longer than the buffer goes through it in pieces. A non-blocking send that got part of its
 * frame out leaves the rest queued (the unsent tail of a frame longer than the buffer moves to
 * {@code pending}, which goes out before the buffer), and a flusher thread is started so it
 * goes out even if no one sends again. Steady-state sends allocate nothing.
 *
 * <p><b>Receiving.</b> One read gets as much as the decoder's buffer takes. A read that got
 * less than it asked for drained the socket, so a blocking receive that needs more goes
 * straight to {@code epoll_wait} and reads once woken: two system calls per message, not three.
 *
 * <p><b>Framing.</b> Frames by default; {@code ?framing=lines} or {@code raw} change only what
 * the decoder cuts and what surrounds a message in the send buffer ({@link Framing}). Such a
 * message always takes {@link #sendEncoded}, so the frames path is the same instructions as it
 * would be without them.
 */
public final class SocketConnection extends AbstractConnection {
    /** As the decoder's buffer: a 64 KiB message and its header go out in one write. */
    private static final int SEND_BUFFER_BYTES = StreamDecoder.DEFAULT_BUFFER_BYTES;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** How long close waits for a receiver to give the receive lock back, before leaving it to free the buffer. */
    private static final long RECEIVER_LEAVES_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SocketChannel channel;
    private final StreamDecoder decoder;
    private final Framing framing;
    /** The longest frame {@link #sendPayload} encodes itself: lines and raw never take that path. */
    private final long directLimit;
    private final long spinNanos;
    private final PeerCredentials peer;
    private final BiasedLock sendLock = new BiasedLock();
    /** Declared before the buffers it allocates; freed on close, not by the GC. */
    private final ConnectionMemory memory = new ConnectionMemory(this);
    private final ByteBuffer sendBuffer = memory.allocate(SEND_BUFFER_BYTES);
    private final MemorySegment sendSegment = MemorySegment.ofBuffer(sendBuffer);
    private final Readiness readiness;
    // Guarded by sendLock: the queue is pending (if any), then sendBuffer[unsentStart, unsentEnd).
    private int unsentStart;
    private int unsentEnd;
    private ByteBuffer pending;
    // Used by one receiving thread at a time (AbstractConnection's receive lock).
    private boolean drained;
    private boolean endOfStream;
    private IOException failure;
    /** Null without time-outs and budget, so a client's receive path is as it was. */
    private final ReceiveGuard guard;
    /** Why this side closed the connection on its own (a time-out or the budget), or null. */
    private volatile String evictedWhy;

    /**
     * @param endpoint the endpoint, as clients name it
     * @param channel  a connected channel; this connection owns it and makes it non-blocking
     * @param maxFrame the largest message either way
     * @param spinNanos how long a receive spins on non-blocking reads before it waits in the selector
     * @param peer     the peer's credentials, or null if the transport cannot tell
     * @throws IOException if the channel cannot be configured
     */
    public SocketConnection(Endpoint endpoint, SocketChannel channel, int maxFrame, long spinNanos,
            PeerCredentials peer) throws IOException {
        this(endpoint, channel, maxFrame, spinNanos, peer, Framing.FRAMES);
    }

    /**
     * As {@link #SocketConnection(Endpoint, SocketChannel, int, long, PeerCredentials)}, with a
     * framing other than frames.
     *
     * @param framing how messages look on the wire
     * @throws IOException if the channel cannot be configured
     */
    public SocketConnection(Endpoint endpoint, SocketChannel channel, int maxFrame, long spinNanos,
            PeerCredentials peer, Framing framing) throws IOException {
        this(endpoint, channel, maxFrame, spinNanos, peer, framing, ReceiveLimits.NONE);
    }

    /**
     * As {@link #SocketConnection(Endpoint, SocketChannel, int, long, PeerCredentials, Framing)},
     * with time-outs and a share of a receive budget.
     *
     * @param limits its time-outs and budget, {@link ReceiveLimits#NONE} for none
     * @throws IOException if the channel cannot be configured
     */
    public SocketConnection(Endpoint endpoint, SocketChannel channel, int maxFrame, long spinNanos,
            PeerCredentials peer, Framing framing, ReceiveLimits limits) throws IOException {
        super(endpoint, endpoint.toString(), maxFrame);
        countSendsUnderLock();
        this.channel = channel;
        this.peer = peer;
        this.framing = framing;
        this.directLimit = framing == Framing.FRAMES ? SEND_BUFFER_BYTES : -1;
        this.decoder = framing.decoder(endpoint.toString(), maxFrame, memory.allocate(StreamDecoder.DEFAULT_BUFFER_BYTES));
        this.spinNanos = spinNanos;
        channel.configureBlocking(false);
        this.readiness = new Readiness(channel, name, this::isClosedLocally, this::closedHere);
        this.guard = limits == ReceiveLimits.NONE ? null : new ReceiveGuard(limits, this, name, channel, peer);
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return Optional.ofNullable(peer);
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        try {
            return awaitFrame(waitNanos) ? decoder.frame() : null;
        } catch (IOException e) {
            throw receiverLeaves(e);
        }
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        try {
            return awaitFrame(waitNanos) ? decoder.frameArray() : null;
        } catch (IOException e) {
            throw receiverLeaves(e);
        }
    }

    /**
     * A receive that fails on a closed connection lent no view that is still in use (the last
     * one was valid until this call), so the decoder's buffer can go now: close found this
     * receiver holding the lock and left the freeing to it.
     */
    private IOException receiverLeaves(IOException e) {
        if (isClosedLocally()) {
            memory.release(ConnectionMemory.RECEIVE);
        }
        return e;
    }

    /** As {@link #receiverLeaves}, for a sender: under the send lock. */
    private IOException senderLeaves(IOException e) {
        if (isClosedLocally()) {
            memory.release(ConnectionMemory.SEND);
        }
        return e;
    }

    private boolean awaitFrame(long waitNanos) throws IOException {
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        // A non-blocking call reads once whatever the last read found: bytes may have come since.
        boolean readOnce = waitNanos == 0;
        while (true) {
            if (evictedWhy != null) {
                decoder.discard();
                throw evicted("receive");
            }
            if (isClosedLocally()) {
                throw closedLocally("receive");
            }
            if (failure != null) {
                throw new ConnectionClosedException(name + ": receive: connection lost", failure);
            }
            if (decode()) {
                return true;
            }
            if (endOfStream) {
                throw closedByPeer("receive", null);
            }
            if (!drained || readOnce) {
                readOnce = false;
                if (read()) {
                    continue;
                }
            }
            if (waitNanos == 0 || waitNanos == NEXT_IN_POLL) {
                if (guard != null && waitNanos == 0) {
                    guard.bound(0, decoder);
                }
                return false;
            }
            long left = waitNanos < 0 ? 0 : deadline - System.nanoTime();
            if (waitNanos > 0 && left <= 0) {
                return false;
            }
            if (guard != null) {
                left = guard.bound(left, decoder);
            }
            if (spin(waitNanos, deadline)) {
                continue;
            }
            readiness.await(SelectionKey.OP_READ, left, "receive");
            drained = false;
        }
    }

    /**
     * Reads without blocking for up to the spin budget, so a reply that comes within it is taken
     * without the scheduler wake-up that dominates a blocking round trip. A virtual thread spins
     * too, yielding its carrier between looks ({@link Readiness#spinUntilReadable}): its parked
     * wait, woken through the JDK's poller and then the scheduler, took a round trip from about 8
     * to 60-80 µs.
     *
     * @return whether bytes (or the end of the stream) came
     */
    private boolean spin(long waitNanos, long deadline) throws IOException {
        if (spinNanos == 0) {
            return false;
        }
        // ?spin=forever is Long.MAX_VALUE: half of it is still centuries, and cannot overflow.
        long until = System.nanoTime() + Math.min(spinNanos, Long.MAX_VALUE / 2);
        if (waitNanos > 0 && deadline - until < 0) {
            until = deadline;
        }
        return readiness.spinUntilReadable(until, "receive") && read();
    }

    /** @return whether the read got bytes or the end of the stream */
    private boolean read() throws IOException {
        int n;
        try {
            n = decoder.readFrom(channel);
        } catch (IOException e) {
            throw lost("receive", e);
        }
        drained = decoder.sourceDrained();
        if (n > 0 && guard != null) {
            guard.read();
        }
        if (n < 0) {
            endOfStream = true;
            if (guard != null) {
                guard.release();
            }
            if (decoder.endOfInput()) {
                failure = new ConnectionClosedException(name + ": receive: peer closed in the middle of a"
                        + " frame (" + decoder.heldBytes() + " bytes of it received)");
                throw failure;
            }
        }
        return n != 0;
    }

    private boolean decode() throws IOException {
        boolean got;
        try {
            got = decoder.next();
        } catch (FrameTooLongException e) {
            failure = e;
            closeQuietly();
            throw e;
        } catch (RuntimeException e) {
            if (evictedWhy != null) {
                throw evicted("receive"); // evict emptied the decoder under this thread
            }
            throw e;
        }
        if (guard != null) {
            guard.decoded(got, decoder);
        }
        return got;
    }

    /**
     * Closes the connection on this side's own account (a time-out, or the receive budget): its
     * receiver is told {@code why}. Does not block; any thread.
     */
    void evict(String why) {
        if (evictedWhy == null) {
            evictedWhy = why;
        }
        closeQuietly();
        // The budget counts this connection's partial frame no more, so free it now, not when its
        // receiving thread next runs: under load, that came after the heap ran out (HostilePeersTest).
        decoder.discardLarge();
        // close() may linger for a blocked sender: not on the thread that found this connection greedy.
        Thread.ofVirtual().name("conduit-close " + name).start(() -> {
            try {
                close();
            } catch (IOException e) {
                // Closed all the same.
            }
        });
    }

    /** @return the exception for {@code call} on a connection this side closed, saying why */
    ConnectionClosedException evicted(String call) {
        return new ConnectionClosedException(name + ": " + call + ": " + evictedWhy);
    }

    private IOException closedHere(String call) {
        return evictedWhy != null ? evicted(call) : closedLocally(call);
    }

    @Override
    protected void flushWritten() throws IOException {
        sendLock.lock();
        try {
            if (isClosedLocally()) {
                throw closedLocally("flush");
            }
            flushQueued(true, "flush");
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends or queues the message as one frame, or as its framing has it. */
    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        boolean block = mode != SendMode.TRY_SEND;
        if (!lockFor(sendLock, mode)) {
            return false;
        }
        try {
            if (isClosedLocally()) {
                throw closedLocally(mode.call);
            }
            if (!sendLocked(payload, offset, length, mode, block)) {
                return false;
            }
            counters.sent(length);
            return true;
        } catch (IOException e) {
            throw senderLeaves(e);
        } finally {
            sendLock.unlock();
        }
    }

    private boolean sendLocked(Object payload, int offset, long length, SendMode mode, boolean block)
            throws IOException {
        long frameBytes = Frames.HEADER_BYTES + length;
        if (frameBytes > directLimit) {
            return sendEncoded(payload, offset, length, mode);
        }
        if (!makeRoom((int) frameBytes, block, mode.call)) {
            return false;
        }
        int frameStart = unsentEnd;
        Frames.putHeader(sendBuffer, frameStart, (int) length);
        Payloads.copy(payload, offset, 0, sendSegment, sendBuffer, frameStart + Frames.HEADER_BYTES, length);
        unsentEnd += (int) frameBytes;
        return queued(frameStart, mode);
    }

    /** Sends (or for a write, leaves) the queue after a frame was put at {@code frameStart}. */
    private boolean queued(int frameStart, SendMode mode) throws IOException {
        if (mode == SendMode.WRITE) {
            return true;
        }
        if (flushQueued(mode != SendMode.TRY_SEND, mode.call)) {
            return true;
        }
        if (unsentStart <= frameStart) {
            // Nothing of this frame went out: take it back, as a refused trySend must.
            unsentEnd = frameStart;
            resetIfEmpty();
            return false;
        }
        startFlusher();
        return true;
    }

    /**
     * Sends a frame longer than the buffer, or any message of another framing, as the framing
     * puts it on the wire. An empty raw message is no bytes at all: it only sends the queue.
     */
    private boolean sendEncoded(Object payload, int offset, long length, SendMode mode) throws IOException {
        framing.checkMessage(name, mode.call, payload, offset, length);
        long total = framing.encodedLength(length);
        if (total > SEND_BUFFER_BYTES) {
            return sendLong(payload, offset, length, mode);
        }
        if (!makeRoom((int) total, mode != SendMode.TRY_SEND, mode.call)) {
            return false;
        }
        int start = unsentEnd;
        framing.copyEncoded(payload, offset, length, 0, total, sendSegment, sendBuffer, start);
        unsentEnd += (int) total;
        return queued(start, mode);
    }

    /** Makes the buffer's free tail at least {@code bytes} long, writing queued bytes if needed. */
    private boolean makeRoom(int bytes, boolean block, String call) throws IOException {
        while (SEND_BUFFER_BYTES - unsentEnd < bytes) {
            if (unsentStart > 0) {
                sendBuffer.put(0, sendBuffer, unsentStart, unsentEnd - unsentStart);
                unsentEnd -= unsentStart;
                unsentStart = 0;
            } else if (writeQueued(call) == 0) {
                if (!block) {
                    return false;
                }
                awaitWritable(call);
            }
        }
        return true;
    }

    /**
     * Sends a message longer than the buffer through it, piece by piece, after what is queued. A
     * write leaves its last piece queued.
     */
    private boolean sendLong(Object payload, int offset, long length, SendMode mode) throws IOException {
        boolean block = mode != SendMode.TRY_SEND;
        if (!flushQueued(block, mode.call)) {
            return false;
        }
        long total = framing.encodedLength(length);
        long copied = 0;
        while (true) {
            int chunk = (int) Math.min(SEND_BUFFER_BYTES - unsentEnd, total - copied);
            framing.copyEncoded(payload, offset, length, copied, chunk, sendSegment, sendBuffer, unsentEnd);
            unsentEnd += chunk;
            copied += chunk;
            if (copied == total && mode == SendMode.WRITE) {
                return true;
            }
            while (unsentEnd > 0) {
                if (writeQueued(mode.call) > 0) {
                    continue;
                }
                if (block) {
                    awaitWritable(mode.call);
                } else if (unsentStart == 0 && copied == chunk) {
                    unsentEnd = 0;
                    return false;
                } else {
                    keepPending(payload, offset, length, copied, total - copied);
                    return true;
                }
            }
            if (copied == total) {
                return true;
            }
        }
    }

    /**
     * Moves the unsent rest of a long frame, the queued bytes then {@code rest} bytes of
     * the encoded message from its byte {@code from}, to {@code pending}, and starts a flusher
     * that writes it.
     */
    private void keepPending(Object payload, int offset, long length, long from, long rest) {
        int queued = unsentEnd - unsentStart;
        MemorySegment all = Arena.ofAuto().allocate(queued + rest);
        MemorySegment.copy(sendSegment, unsentStart, all, 0, queued);
        pending = all.asByteBuffer();
        framing.copyEncoded(payload, offset, length, from, rest, all, pending, queued);
        unsentStart = 0;
        unsentEnd = 0;
        startFlusher();
    }

    private void startFlusher() {
        Thread.ofVirtual().name("conduit-flush " + name).start(this::flushInBackground);
    }

    private void flushInBackground() {
        sendLock.lock();
        try {
            if (!isClosedLocally()) {
                flushQueued(true, "send");
            }
        } catch (IOException e) {
            // The next send reports the broken connection; nothing here can.
            senderLeaves(e);
        } finally {
            sendLock.unlock();
        }
    }

    /** @return whether everything queued went out; {@code false} only if {@code block} is false */
    private boolean flushQueued(boolean block, String call) throws IOException {
        while (pending != null || unsentEnd > 0) {
            if (writeQueued(call) == 0) {
                if (!block) {
                    return false;
                }
                awaitWritable(call);
            }
        }
        return true;
    }

    /** Waits, under the send lock, until the socket takes more; counted as time blocked in send. */
    private void awaitWritable(String call) throws IOException {
        SendBlockedEvent event = sendBlockBegins();
        long since = System.nanoTime();
        try {
            readiness.await(SelectionKey.OP_WRITE, 0, call);
        } finally {
            sendBlockEnds(since, event, call);
        }
    }

    /** One {@code write} of the first queued bytes: {@code pending}, else the buffer. */
    private int writeQueued(String call) throws IOException {
        try {
            if (pending != null) {
                int n = channel.write(pending);
                if (!pending.hasRemaining()) {
                    pending = null;
                }
                return n;
            }
            sendBuffer.limit(unsentEnd).position(unsentStart);
            int n;
            try {
                n = channel.write(sendBuffer);
            } finally {
                sendBuffer.clear();
            }
            unsentStart += n;
            resetIfEmpty();
            return n;
        } catch (IOException e) {
            throw lost(call, e);
        }
    }

    private void resetIfEmpty() {
        if (unsentStart == unsentEnd) {
            unsentStart = 0;
            unsentEnd = 0;
        }
    }

    private IOException lost(String call, IOException e) {
        if (evictedWhy != null) {
            return evicted(call);
        }
        if (isClosedLocally() || e instanceof AsynchronousCloseException) {
            return closedLocally(call);
        }
        if (e instanceof ClosedChannelException) {
            return new ConnectionClosedException(name + ": " + call + ": connection lost", failure);
        }
        return new ConnectionClosedException(name + ": " + call + ": connection lost: " + e.getMessage(), e);
    }

    @Override
    protected void closeTransport() throws IOException {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        // A sender in the middle of a frame finishes it first; one blocked on a full peer
        // holds the lock until the linger is over, and then the channel closes under it.
        if (sendLock.tryLock(CLOSE_LINGER_NANOS)) {
            try {
                lingerQueued(deadline);
                channel.shutdownOutput();
            } catch (IOException e) {
                // Closing anyway; the peer sees the connection end.
            } finally {
                // Every later sender finds the connection closed before it touches the buffer.
                memory.release(ConnectionMemory.SEND);
                sendLock.unlock();
            }
        }
        closeQuietly();
        // A receiver woken by closeQuietly gives the lock back at once; one that does not frees it itself.
        runIfNotReceiving(RECEIVER_LEAVES_NANOS, () -> memory.release(ConnectionMemory.RECEIVE));
    }

    /** @return whether the connection's native buffers were freed (for tests) */
    boolean buffersFreed() {
        return memory.freed();
    }

    /** Gives queued bytes until {@code deadline} to go out, so an orderly close loses nothing. */
    private void lingerQueued(long deadline) throws IOException {
        while (pending != null || unsentEnd > 0) {
            if (writeQueued("close") == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                readiness.awaitWhileClosing(SelectionKey.OP_WRITE, left, "close");
            }
        }
    }

    private void closeQuietly() {
        if (guard != null) {
            guard.release();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing more can be done with a channel that fails to close.
        }
        readiness.close();
    }
}
