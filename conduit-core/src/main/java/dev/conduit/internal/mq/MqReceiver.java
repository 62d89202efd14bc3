package dev.conduit.internal.mq;

import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * The receiving end of {@code mq:KEY}: takes the messages its selector matches, one
 * {@code msgrcv} each, into a buffer of its own that {@code poll} hands out without copying.
 *
 * <p><b>Waiting.</b> A platform thread first looks without waiting ({@code IPC_NOWAIT}) for the
 * {@code ?spin=} budget, as the other transports do, then waits in {@code msgrcv} itself, which
 * {@link #close()} ends through {@link Wakeups}. A virtual thread never waits in the kernel, which
 * would hold its carrier: it looks and parks, from 10 µs up to 1 ms between looks.
 */
final class MqReceiver extends AbstractConnection {
    private final SysvQueue queue;
    private final long selector;
    private final boolean keep;
    private final long spinNanos;
    /** Used by the one receiving thread only (the receive lock is held). */
    private final Slot slot;
    /** The slot's buffer, read-only, made once: each message is a window on it. */
    private final ByteBuffer view;

    MqReceiver(Endpoint endpoint, SysvQueue queue, int maxFrame, long selector, boolean keep) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.queue = queue;
        this.selector = selector;
        this.keep = keep;
        this.spinNanos = Options.spinNanos(endpoint);
        this.slot = queue.newSlot();
        this.view = slot.buffer.asReadOnly().asByteBuffer();
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        long length = take(waitNanos);
        return length < 0 ? null : view.limit(Long.BYTES + (int) length).position(Long.BYTES);
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        long length = take(waitNanos);
        if (length < 0) {
            return null;
        }
        byte[] copy = new byte[(int) length];
        MemorySegment.copy(slot.buffer, ValueLayout.JAVA_BYTE, Long.BYTES, copy, 0, copy.length);
        return copy;
    }

    /** @return the length of the message now in the slot, or -1 if none came in time */
    private long take(long waitNanos) throws IOException {
        long length = queue.receiveInto(slot, "receive", selector, 0);
        if (length < 0 && waitNanos != 0 && waitNanos != NEXT_IN_POLL) {
            length = await(waitNanos);
        }
        if (length > maxFrame) {
            throw new FrameTooLongException(name + ": receive", length, maxFrame);
        }
        return length;
    }

    private long await(long waitNanos) throws IOException {
        long start = System.nanoTime();
        if (Thread.currentThread().isVirtual()) {
            long park = MqTransport.FIRST_PARK_NANOS;
            while (true) {
                long left = waitNanos == FOREVER ? park : waitNanos - (System.nanoTime() - start);
                if (left <= 0) {
                    return -1;
                }
                LockSupport.parkNanos(Math.min(park, left));
                park = MqTransport.nextPark(park);
                long length = queue.receiveInto(slot, "receive", selector, 0);
                if (length >= 0) {
                    return length;
                }
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw interrupted("receive");
                }
            }
        }
        long spinEnd = start + (waitNanos == FOREVER ? spinNanos : Math.min(spinNanos, waitNanos));
        while (System.nanoTime() - spinEnd < 0) {
            Thread.onSpinWait();
            long length = queue.receiveInto(slot, "receive", selector, 0);
            if (length >= 0) {
                return length;
            }
        }
        if (waitNanos == FOREVER) {
            return queue.receiveInto(slot, "receive", selector, FOREVER);
        }
        long left = waitNanos - (System.nanoTime() - start);
        return left <= 0 ? -1 : queue.receiveInto(slot, "receive", selector, left);
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) {
        throw new UnsupportedOperationException(name + ": " + mode.call + ": this is the receiving end of a"
                + " message queue; open a sender with Conduit.openSender");
    }

    @Override
    protected void closeTransport() throws IOException {
        if (queue.created() && !keep) {
            queue.closeAndRemove();
        } else {
            queue.close();
        }
    }
}
