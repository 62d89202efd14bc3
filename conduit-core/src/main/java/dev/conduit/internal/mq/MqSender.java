package dev.conduit.internal.mq;

import dev.conduit.Endpoint;
import dev.conduit.internal.AbstractConnection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * The sending end of {@code mq:KEY}: one {@code msgsnd} per message, of the endpoint's type.
 * The kernel keeps each message whole, so senders in any number of threads and processes never
 * interleave, and nothing is buffered here: {@code write} sends at once and {@code flush} has
 * nothing to do.
 *
 * <p>A full queue makes {@code send} wait: a platform thread in {@code msgsnd}, which
 * {@link #close()} ends through {@link Wakeups}; a virtual thread by trying and parking, so as
 * not to hold its carrier in the kernel.
 */
final class MqSender extends AbstractConnection {
    private final SysvQueue queue;
    private final long type;

    MqSender(Endpoint endpoint, SysvQueue queue, int maxFrame, long type) {
        super(endpoint, endpoint.toString(), maxFrame);
        this.queue = queue;
        this.type = type;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) {
        throw new UnsupportedOperationException(name + ": receive: this is the sending end of a message queue;"
                + " open a receiver with Conduit.openReceiver");
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        boolean wait = mode != SendMode.TRY_SEND;
        if (!wait || !Thread.currentThread().isVirtual()) {
            return queue.send(mode.call, type, payload, offset, length, wait);
        }
        long park = MqTransport.FIRST_PARK_NANOS;
        while (!queue.send(mode.call, type, payload, offset, length, false)) {
            LockSupport.parkNanos(park);
            park = MqTransport.nextPark(park);
        }
        return true;
    }

    @Override
    protected void closeTransport() {
        queue.close();
    }
}
