package dev.conduit.bench.link;

import dev.conduit.Connection;
import dev.conduit.MessageHandler;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.bench.Link;
import dev.conduit.bench.Payloads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A Conduit connection, driven through its public API as a user after speed would: messages are
 * taken up to {@value #POLL_LIMIT} at a time with the zero-copy {@code poll}, which waits for the
 * first (copied into a reused ring, or checked where they lie by {@link #receiveChecked}). Nothing
 * is allocated per message, as {@code receive} would.
 */
public final class ConduitLink implements Link {
    private static final int POLL_LIMIT = 64;
    private static final Duration WAIT = Duration.ofDays(1);
    private final MessageSender out;
    private final MessageReceiver in;
    private final MessageHandler copy = this::copy;
    private final MessageHandler check = this::check;
    private final byte[][] ring = new byte[POLL_LIMIT][64];
    private final int[] lengths = new int[POLL_LIMIT];
    private int head;
    private int count;
    private int lastLength;
    private Payloads checking;
    private long checked;
    private boolean ended;

    /** @param connection the connection, owned from now on */
    public ConduitLink(Connection connection) {
        this(connection, connection);
    }

    /**
     * For one-way transports, a pair of them (such as two FIFOs), one each way.
     *
     * @param out where messages go; owned from now on
     * @param in  where messages come from; owned from now on
     */
    public ConduitLink(MessageSender out, MessageReceiver in) {
        this.out = out;
        this.in = in;
    }

    @Override
    public void send(byte[] message, int length) throws Exception {
        if (length == message.length) {
            out.send(message);
        } else {
            out.send(ByteBuffer.wrap(message, 0, length));
        }
    }

    @Override
    public void write(byte[] message, int length) throws Exception {
        if (length == message.length) {
            out.write(message);
        } else {
            out.write(ByteBuffer.wrap(message, 0, length));
        }
    }

    @Override
    public void flush() throws Exception {
        out.flush();
    }

    @Override
    public byte[] receive() throws Exception {
        while (head == count) {
            head = 0;
            count = 0;
            in.poll(copy, POLL_LIMIT, WAIT);
        }
        lastLength = lengths[head];
        return ring[head++];
    }

    private void copy(ByteBuffer message) {
        int length = message.remaining();
        if (ring[count].length < length) {
            ring[count] = new byte[length];
        }
        message.get(message.position(), ring[count], 0, length);
        lengths[count++] = length;
    }

    @Override
    public long receiveChecked(Payloads payloads) throws Exception {
        checking = payloads;
        checked = 0;
        ended = false;
        while (head < count && !ended) {
            check(ByteBuffer.wrap(ring[head], 0, lengths[head]));
            head++;
        }
        while (!ended) {
            in.poll(check, POLL_LIMIT, WAIT);
        }
        return checked;
    }

    private void check(ByteBuffer message) {
        if (ended) {
            throw new IllegalStateException("a message came after the empty one that ends the phase");
        }
        if (message.hasRemaining()) {
            checking.verify(message, (int) checked++);
        } else {
            ended = true;
        }
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() throws IOException {
        try (in) {
            if (out != in) {
                out.close();
            }
        }
    }
}
