package dev.conduit.internal.ipcez;

import dev.conduit.AckTimeoutException;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Unix socket connection that speaks ipcez's acknowledgements around its frames, which go
 * through unchanged.
 *
 * <p>As recipient, once the application has taken a whole message ({@link #messageTaken}) it
 * posts {@code data_acked}, and takes one from {@code data_ready} if one is there, so that the
 * count an ipcez sender posts does not grow without bound.
 *
 * <p>As sender, each message that leaves (by {@code send}, {@code trySend}, or {@code write}
 * once flushed) posts {@code data_ready}; {@code send} and {@code flush} then wait, at most
 * {@code ?ackTimeout=} (5 s), for one {@code data_acked} per message posted and not yet
 * acknowledged. {@code trySend} never waits: its acknowledgement is taken by the next
 * {@code send} or {@code flush}. Sends take turns, each waiting for its acknowledgement, as
 * ipcez's {@code send_message} does.
 *
 * <p>The semaphore waits last at most {@value #SLICE_MILLIS} ms at a time, so a close or an
 * interrupt is noticed; a virtual thread tries without blocking and parks between tries.
 */
final class IpcezConnection extends AbstractConnection {
    static final long SLICE_MILLIS = 50;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    private static final long VIRTUAL_PARK_MIN_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long VIRTUAL_PARK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Connection raw;
    private final AckSemaphores semaphores;
    private final long ackTimeoutNanos;
    private final ReentrantLock sendLock = new ReentrantLock();
    /** Messages written and not yet announced on {@code data_ready}; guarded by {@link #sendLock}. */
    private int written;
    /** Messages announced and not yet acknowledged; guarded by {@link #sendLock}. */
    private int unacknowledged;

    IpcezConnection(Endpoint endpoint, Connection raw, AckSemaphores semaphores) {
        super(endpoint, endpoint.toString(), Options.maxFrame(endpoint));
        this.raw = raw;
        this.semaphores = semaphores;
        this.ackTimeoutNanos = IpcezAck.ackTimeoutNanos(endpoint);
        reportTakenMessages();
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return raw.peerCredentials();
    }

    // ---- receiving --------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        byte[] message = nextArray(waitNanos);
        return message == null ? null : ByteBuffer.wrap(message).asReadOnlyBuffer();
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        if (waitNanos == FOREVER) {
            return raw.receive();
        }
        if (waitNanos <= 0) {
            return raw.tryReceive();
        }
        return raw.receive(Duration.ofNanos(waitNanos));
    }

    @Override
    protected void messageTaken() throws IOException {
        semaphores.postAcked();
        semaphores.tryTakeReady();
    }

    // ---- sending ----------------------------------------------------------------------------

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        if (mode == SendMode.TRY_SEND) {
            if (!sendLock.tryLock()) {
                return false;
            }
        } else {
            sendLock.lock();
        }
        try {
            if (mode == SendMode.SEND) {
                letOthersTakeTheirAcknowledgements(mode.call);
            }
            if (!rawSend(payload, offset, (int) length, mode)) {
                return false;
            }
            written++;
            if (mode == SendMode.WRITE) {
                return true;
            }
            announceWritten();
            if (mode == SendMode.SEND) {
                awaitAcknowledgements(mode.call);
            }
            return true;
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends through the socket; a {@code send} or {@code trySend} also sends what was written before it. */
    private boolean rawSend(Object payload, int offset, int length, SendMode mode) throws IOException {
        return switch (payload) {
            case byte[] array -> rawSend(ByteBuffer.wrap(array, offset, length), mode);
            case ByteBuffer buffer -> rawSend(buffer, mode);
            case MemorySegment segment -> switch (mode) {
                case SEND -> {
                    raw.send(segment);
                    yield true;
                }
                case WRITE -> {
                    raw.write(segment);
                    yield true;
                }
                case TRY_SEND -> raw.trySend(segment);
            };
            default -> throw new IllegalArgumentException("payload: " + payload.getClass());
        };
    }

    private boolean rawSend(ByteBuffer buffer, SendMode mode) throws IOException {
        switch (mode) {
            case SEND -> raw.send(buffer);
            case WRITE -> raw.write(buffer);
            case TRY_SEND -> {
                return raw.trySend(buffer);
            }
        }
        return true;
    }

    @Override
    protected void flushWritten() throws IOException {
        sendLock.lock();
        try {
            letOthersTakeTheirAcknowledgements("flush");
            raw.flush();
            announceWritten();
            awaitAcknowledgements("flush");
        } finally {
            sendLock.unlock();
        }
    }

    /** Posts {@code data_ready} once for each message that has gone since the last time. */
    private void announceWritten() throws IOException {
        for (; written > 0; written--) {
            semaphores.postReady();
            unacknowledged++;
        }
    }

    /**
     * Before this side's message can be acknowledged, waits (at most the ack time-out) until
     * {@code data_acked} holds no more posts than this connection is owed: one semaphore serves
     * both directions and every client, so a post this process made for its peer's waiting
     * {@code send} must not be taken here as the acknowledgement of its own reply.
     */
    private void letOthersTakeTheirAcknowledgements(String call) throws IOException {
        long deadline = System.nanoTime() + ackTimeoutNanos;
        long park = VIRTUAL_PARK_MIN_NANOS;
        while (semaphores.ackedValue() > unacknowledged + written && deadline - System.nanoTime() > 0) {
            if (isClosedLocally()) {
                throw closedLocally(call);
            }
            LockSupport.parkNanos(park);
            park = Math.min(2 * park, VIRTUAL_PARK_MAX_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw interrupted(call);
            }
        }
    }

    private void awaitAcknowledgements(String call) throws IOException {
        long deadline = System.nanoTime() + ackTimeoutNanos;
        long park = VIRTUAL_PARK_MIN_NANOS;
        while (unacknowledged > 0) {
            if (isClosedLocally()) {
                throw closedLocally(call);
            }
            long left = deadline - System.nanoTime();
            if (semaphores.takeAcked(Math.min(SLICE_NANOS, left))) {
                unacknowledged--;
                park = VIRTUAL_PARK_MIN_NANOS;
                continue;
            }
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw interrupted(call);
            }
            if (left <= 0) {
                int missing = unacknowledged;
                // As ipcez's send_message: each wait stands alone; a late post counts for a later message.
                unacknowledged = 0;
                throw new AckTimeoutException(name + ": " + call + ": no acknowledgement on semaphore "
                        + semaphores.ackedName() + " within " + text(Duration.ofNanos(ackTimeoutNanos))
                        + (missing == 1 ? "" : " for " + missing + " messages")
                        + "; the message was delivered, the recipient did not acknowledge it");
            }
            if (Thread.currentThread().isVirtual()) {
                LockSupport.parkNanos(Math.min(park, left));
                park = Math.min(2 * park, VIRTUAL_PARK_MAX_NANOS);
            }
        }
    }

    // ---- closing ----------------------------------------------------------------------------

    @Override
    protected void closeTransport() throws IOException {
        try {
            raw.close();
        } finally {
            semaphores.release();
        }
    }
}
