package dev.conduit.bench.link;

import dev.conduit.bench.Link;
import dev.conduit.bench.Payloads;
import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Aeron IPC ({@code aeron:ipc}) with an exclusive publication each way, busy-spinning as Aeron's
 * own ping-pong sample does. One stream carries each direction. {@link #receiveChecked} checks
 * messages where they lie in the log buffer, as a user decoding in place would.
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
    private final FragmentHandler checker;
    private Payloads checking;
    private long checked;
    private boolean ended;
    private ByteBuffer viewOf;
    private ByteBuffer view;

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
        this.checker = new FragmentAssembler(this::check);
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
    public long receiveChecked(Payloads payloads) {
        checking = payloads;
        checked = 0;
        ended = false;
        while (!ended) {
            if (subscription.poll(checker, 64) == 0) {
                if (subscription.isClosed() || !subscription.isConnected()) {
                    throw new IllegalStateException("aeron: peer gone");
                }
                idle.idle();
            }
        }
        return checked;
    }

    private void check(DirectBuffer buffer, int offset, int length, Header header) {
        if (ended) {
            throw new IllegalStateException("aeron: a message came after the empty one that ends the phase");
        }
        if (length == 0) {
            ended = true;
            return;
        }
        ByteBuffer mapped = buffer.byteBuffer();
        if (mapped == null) {
            byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            checking.verify(copy, length, (int) checked++);
            return;
        }
        if (mapped != viewOf) {
            viewOf = mapped;
            view = mapped.duplicate();
        }
        int start = buffer.wrapAdjustment() + offset;
        view.limit(start + length).position(start);
        checking.verify(view, (int) checked++);
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
