package dev.conduit.internal;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.frame.Framing;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A connection whose two directions are {@link Inbox}es: the peer's sends fill {@code inbound}
 * and this side's sends fill {@code outbound}. The peer is another connection in this JVM
 * ({@code mem:}) or a pump thread moving frames to and from a byte stream (child processes).
 * A message longer than this side's {@code maxFrame} is refused on receive as on any stream:
 * {@link FrameTooLongException}, and the connection is closed. Open for extension only so a
 * transport can add accessors (such as the child process); the behaviour is fixed.
 */
public class QueueConnection extends AbstractConnection {
    private final Inbox inbound;
    private final Inbox outbound;
    private final Runnable onClose;
    private final boolean outboundWritten;
    private final Framing framing;
    private final DirectSender direct;

    /**
     * Writes a {@code send}'s message into a byte stream on the sender's own thread, past the
     * outbound queue, returning once it is there (a process's pipe): see
     * {@link #QueueConnection(Endpoint, String, int, Inbox, Inbox, Runnable, Framing, DirectSender)}.
     */
    public interface DirectSender {
        /**
         * Writes one message, framed, into the stream. Blocks while the stream is full. Called by
         * any number of threads at once; must not interleave messages.
         *
         * @param payload the message, in a form {@link Payloads} reads
         * @throws IOException {@link dev.conduit.ConnectionClosedException} if the stream is closed
         *                     or the write failed
         */
        void send(Object payload, int offset, long length) throws IOException;
    }

    /**
     * @param endpoint the endpoint
     * @param name     how messages name the connection
     * @param maxFrame the largest message either way
     * @param inbound  messages for this side
     * @param outbound messages from this side
     * @param onClose  run once after both inboxes are closed by {@link #close()}
     * @param outboundWritten whether a pump writes {@code outbound} out and says so
     *                 ({@link Inbox#takenWritten}): then {@code send} and {@code flush} wait for
     *                 it, so what they were given outlives this process
     */
    public QueueConnection(Endpoint endpoint, String name, int maxFrame, Inbox inbound, Inbox outbound,
            Runnable onClose, boolean outboundWritten) {
        this(endpoint, name, maxFrame, inbound, outbound, onClose, outboundWritten, Framing.FRAMES);
    }

    /**
     * As {@link #QueueConnection(Endpoint, String, int, Inbox, Inbox, Runnable, boolean)}, for a
     * pump that writes {@code outbound} in another framing.
     *
     * @param framing how the pump frames what it writes: sends it cannot carry are refused here,
     *                in the sender's thread
     */
    public QueueConnection(Endpoint endpoint, String name, int maxFrame, Inbox inbound, Inbox outbound,
            Runnable onClose, boolean outboundWritten, Framing framing) {
        this(endpoint, name, maxFrame, inbound, outbound, onClose, outboundWritten, framing, null);
    }

    /**
     * For a pump that writes {@code outbound} out and says so, as
     * {@link #QueueConnection(Endpoint, String, int, Inbox, Inbox, Runnable, boolean, Framing)}
     * with {@code outboundWritten}, whose {@code send} writes on the sender's thread: once
     * everything queued before it is written, {@code direct} writes it.
     *
     * @param direct writes a {@code send}'s message, after what the pump wrote
     */
    public QueueConnection(Endpoint endpoint, String name, int maxFrame, Inbox inbound, Inbox outbound,
            Runnable onClose, Framing framing, DirectSender direct) {
        this(endpoint, name, maxFrame, inbound, outbound, onClose, true, framing, direct);
    }

    private QueueConnection(Endpoint endpoint, String name, int maxFrame, Inbox inbound, Inbox outbound,
            Runnable onClose, boolean outboundWritten, Framing framing, DirectSender direct) {
        super(endpoint, name, maxFrame);
        this.inbound = inbound;
        this.outbound = outbound;
        this.onClose = onClose;
        this.outboundWritten = outboundWritten;
        this.framing = framing;
        this.direct = direct;
    }

    @Override
    protected final ByteBuffer nextMessage(long waitNanos) throws IOException {
        byte[] message = nextArray(waitNanos);
        return message == null ? null : ByteBuffer.wrap(message).asReadOnlyBuffer();
    }

    @Override
    protected final byte[] nextArray(long waitNanos) throws IOException {
        byte[] message;
        try {
            message = inbound.take(waitNanos == NEXT_IN_POLL ? 0 : waitNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("receive");
        }
        if (message != null && message.length > maxFrame) {
            closeForFault();
            throw new FrameTooLongException(name + ": receive", message.length, maxFrame);
        }
        return message;
    }

    /**
     * {@inheritDoc} Every message is queued for the peer at once: the inbox (or the pump that
     * drains it) already batches. Where a pump writes the queue out, {@code send} then waits
     * until the pump has written it (and everything before it), so a message a returned
     * {@code send} took is in the pipe, not in this process's memory, if the process is killed;
     * a written or try-sent one is there once {@code flush} returns. With a {@link DirectSender},
     * {@code send} waits for what is queued and then writes its message itself.
     */
    @Override
    protected final boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        framing.checkMessage(name, mode.call, payload, offset, length);
        try {
            if (direct != null && mode == SendMode.SEND) {
                // What this thread wrote or try-sent before goes first.
                outbound.awaitWritten(mode.call);
                sendDirect(payload, offset, length);
                return true;
            }
            boolean queued = outbound.put(Payloads.toArray(payload, offset, length), mode != SendMode.TRY_SEND);
            if (queued && outboundWritten && mode == SendMode.SEND) {
                outbound.awaitWritten(mode.call);
            }
            return queued;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(mode.call);
        }
    }

    private void sendDirect(Object payload, int offset, long length) throws IOException {
        try {
            direct.send(payload, offset, length);
        } catch (ConnectionClosedException e) {
            // A close here ends a write blocked on a full pipe by ending the child (EPIPE): say so.
            throw isClosedLocally() ? closedLocally(SendMode.SEND.call) : e;
        }
    }

    @Override
    protected final void flushWritten() throws IOException {
        if (outboundWritten) {
            try {
                outbound.awaitWritten("flush");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted("flush");
            }
        }
    }

    @Override
    protected final void closeTransport() {
        inbound.closeConsumer();
        outbound.closeProducer(null);
        onClose.run();
    }
}
