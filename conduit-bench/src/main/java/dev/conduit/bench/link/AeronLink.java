package dev.conduit.bench.link;

import dev.conduit.bench.Link;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Aeron IPC ({@code aeron:ipc}) with an exclusive publication each way, busy-spinning as Aeron's
 * own ping-pong sample does. One stream carries each direction.
 */
public final class AeronLink implements Link {
    private static final String CHANNEL = "aeron:ipc";
    private final Aeron aeron;
    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(new byte[0]);
    private final IdleStrategy idle = new BusySpinIdleStrategy();
    private final FragmentHandler assembler;
    private byte[] received = new byte[64];
    private int lastLength = -1;

    /**
     * @param aeron         a connected client, owned from now on
     * @param outStream     the stream id this side publishes on
     * @param inStream      the stream id this side subscribes to
     */
    public AeronLink(Aeron aeron, int outStream, int inStream) {
        this.aeron = aeron;
        this.publication = aeron.addExclusivePublication(CHANNEL, outStream);
        this.subscription = aeron.addSubscription(CHANNEL, inStream);
        this.assembler = new FragmentAssembler((buffer, offset, length, header) -> {
            if (received.length < length) {
                received = new byte[length];
            }
            buffer.getBytes(offset, received, 0, length);
            lastLength = length;
        });
        while (!publication.isConnected() || !subscription.isConnected()) {
            idle.idle();
        }
    }

    @Override
    public void send(byte[] message, int length) {
        sendBuffer.wrap(message);
        long result;
        while ((result = publication.offer(sendBuffer, 0, length)) < 0) {
            if (result == ExclusivePublication.CLOSED || result == ExclusivePublication.MAX_POSITION_EXCEEDED) {
                throw new IllegalStateException("aeron: publication failed: " + result);
            }
            idle.idle();
        }
    }

    @Override
    public byte[] receive() {
        lastLength = -1;
        while (lastLength < 0) {
            if (subscription.poll(assembler, 1) == 0) {
                if (subscription.isClosed() || !subscription.isConnected()) {
                    throw new IllegalStateException("aeron: peer gone");
                }
                idle.idle();
            }
        }
        return received;
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() {
        publication.close();
        subscription.close();
        aeron.close();
    }
}
