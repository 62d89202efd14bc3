package dev.conduit.spi.support;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionCounters;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.MessageHandler;
import dev.conduit.Subscription;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.frame.Frames;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * A {@link Connection} built from three primitives a transport implements:
 * {@link #nextMessage} (take the next whole message), {@link #sendMessage} (hand one over) and
 * {@link #closeTransport} (release everything). Everything else (the receive variants,
 * {@code poll}, {@code onMessage}, {@code receiveAsync}, {@code asPublisher}, the length check
 * against {@code maxFrame}, one receiver at a time, and an idempotent {@code close}) is
 * Conduit's own, the same code the built-in transports run, so the semantics cannot drift.
 *
 * <p>Threads: {@link #nextMessage} is called by one thread at a time (Conduit serialises
 * receivers); {@link #sendMessage} and {@link #flushWritten} may be called by many threads at
 * once; {@link #closeTransport} once, by whichever thread closes first, possibly while others
 * are blocked in the other primitives.
 *
 * <p>Errors: a primitive throws {@link ConnectionClosedException} when the connection is closed
 * ({@link #closedLocally} and {@link #closedByPeer} make them with Conduit's wording), and
 * another {@link IOException} naming {@link #name()}, the call and the cause for a failure.
 */
public abstract class MessageConnection implements Connection {
    /** {@link #nextMessage} argument: wait as long as it takes. */
    protected static final long FOREVER = -1;

    private final Core core;

    /**
     * Makes the connection's shared part; call from the transport's constructor.
     *
     * @param endpoint the endpoint, as {@link #endpoint()} returns it
     * @param name     how messages name this connection: usually {@code endpoint.redacted()},
     *                 or e.g. the endpoint and the peer's address
     * @param maxFrame the longest message in bytes this side sends (longer ones are refused with
     *                 {@link dev.conduit.FrameTooLongException} before {@link #sendMessage} is
     *                 called); see {@link EndpointOptions#maxFrame}
     * @throws NullPointerException if {@code endpoint} or {@code name} is null
     */
    protected MessageConnection(Endpoint endpoint, String name, int maxFrame) {
        this.core = new Core(endpoint, name, maxFrame);
    }

    /**
     * The next whole message, as a view valid until the next call. Called by one thread at a
     * time; must return promptly once {@link #closeTransport()} was called by another thread.
     *
     * @param waitNanos {@link #FOREVER}, 0 for no wait, or the most to wait in nanoseconds
     * @return the message (its position to its limit), or {@code null} if none came in time;
     *         handed on read-only (a writable view is wrapped, which costs an object per message)
     * @throws IOException {@link ConnectionClosedException} once closed (locally, or by the peer
     *                     and drained), {@link InterruptedIOException} if the wait was interrupted
     *                     (keep the thread's flag set), or another failure
     */
    protected abstract ByteBuffer nextMessage(long waitNanos) throws IOException;

    /**
     * As {@link #nextMessage}, as an array the caller keeps. The default copies the view; a
     * transport that already holds the message as an array of its own hands it over instead.
     *
     * @param waitNanos as {@link #nextMessage}
     * @return the message, or {@code null} if none came in time
     * @throws IOException as {@link #nextMessage}
     */
    protected byte[] nextArray(long waitNanos) throws IOException {
        return core.copyNext(waitNanos);
    }

    /**
     * Sends or queues one message, already checked against {@code maxFrame} and for a local
     * close. May be called by many threads at once: must not interleave messages, and must keep
     * the order of the calls whatever their modes.
     *
     * @param message the message: a view of the caller's array, buffer or segment, valid only
     *                during the call (copy what is kept), and not to be written into. A
     *                {@code send} from an array comes as a heap segment of that array
     *                ({@link MemorySegment#heapBase()}), which a transport that finishes with the
     *                message before {@code send} returns may lend on without copying
     * @param mode    how: see {@link SendMode}
     * @return whether the message was taken ({@code false} only for {@link SendMode#TRY_SEND})
     * @throws IOException {@link ConnectionClosedException} if closed, or a failure
     */
    protected abstract boolean sendMessage(MemorySegment message, SendMode mode) throws IOException;

    /**
     * Sends every message {@link SendMode#WRITE} kept back, waiting while the peer is full. The
     * default does nothing, for transports that send written messages at once.
     *
     * @throws IOException {@link ConnectionClosedException} if closed, or a failure
     */
    protected void flushWritten() throws IOException {
    }

    /**
     * Releases the transport. Called once, by the first {@link #close()}; must end calls blocked
     * in other threads (they then throw {@link ConnectionClosedException}).
     *
     * @throws IOException if releasing failed
     */
    protected abstract void closeTransport() throws IOException;

    /**
     * Names this connection in messages.
     *
     * @return the name given to the constructor
     */
    protected final String name() {
        return core.name();
    }

    /**
     * The longest message this side sends.
     *
     * @return the {@code maxFrame} given to the constructor
     */
    protected final int maxFrame() {
        return core.maxFrame();
    }

    /**
     * Whether {@link #close()} has been called; safe from any thread.
     *
     * @return {@code true} once closed locally
     */
    protected final boolean isClosedLocally() {
        return core.closedLocally();
    }

    /**
     * Makes the exception for a call on a connection this side closed.
     *
     * @param call the API call, e.g. {@code receive} or {@link SendMode#call()}
     * @return {@code NAME: CALL: connection closed locally}
     */
    protected final ConnectionClosedException closedLocally(String call) {
        return core.localClose(call);
    }

    /**
     * Makes the exception for a call on a connection the peer closed.
     *
     * @param call  the API call, e.g. {@code receive} or {@link SendMode#call()}
     * @param cause what showed it (an end of stream, a reset), or {@code null}
     * @return {@code NAME: CALL: connection closed by peer}
     */
    protected final ConnectionClosedException closedByPeer(String call, Throwable cause) {
        return core.peerClose(call, cause);
    }

    /**
     * Makes the exception for a call whose wait was interrupted; the caller leaves the thread's
     * interrupt flag set.
     *
     * @param call the API call, e.g. {@code receive} or {@link SendMode#call()}
     * @return {@code NAME: CALL: interrupted}
     */
    protected final InterruptedIOException interrupted(String call) {
        return core.interruptedCall(call);
    }

    /**
     * Refuses a message longer than {@code maxFrame}, for sends this class does not check itself
     * (a transport's own {@code send(CharSequence)}, say).
     *
     * @param mode   the send's mode, for the message
     * @param length the message's length in bytes
     * @throws FrameTooLongException {@code NAME: CALL: frame length L exceeds maxFrame M} if
     *                               {@code length} is above {@link #maxFrame()}
     */
    protected final void checkSendLength(SendMode mode, long length) throws FrameTooLongException {
        Frames.checkSendLength(name(), mode.call(), length, maxFrame());
    }

    @Override
    public final Endpoint endpoint() {
        return core.endpoint();
    }

    @Override
    public final boolean isOpen() {
        return core.isOpen();
    }

    /** {@inheritDoc} A transport built on this class gets them without doing anything. */
    @Override
    public final ConnectionCounters counters() {
        return core.counters();
    }

    @Override
    public final Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return core.onEvent(subscriber);
    }

    @Override
    public final void send(MemorySegment message) throws IOException {
        core.send(message);
    }

    @Override
    public final void send(ByteBuffer message) throws IOException {
        core.send(message);
    }

    @Override
    public final void send(byte[] message) throws IOException {
        core.send(message);
    }

    @Override
    public final boolean trySend(MemorySegment message) throws IOException {
        return core.trySend(message);
    }

    @Override
    public final boolean trySend(ByteBuffer message) throws IOException {
        return core.trySend(message);
    }

    @Override
    public final boolean trySend(byte[] message) throws IOException {
        return core.trySend(message);
    }

    @Override
    public final void write(MemorySegment message) throws IOException {
        core.write(message);
    }

    @Override
    public final void write(ByteBuffer message) throws IOException {
        core.write(message);
    }

    @Override
    public final void write(byte[] message) throws IOException {
        core.write(message);
    }

    @Override
    public final void flush() throws IOException {
        core.flush();
    }

    @Override
    public final byte[] receive() throws IOException {
        return core.receive();
    }

    @Override
    public final byte[] receive(Duration timeout) throws IOException {
        return core.receive(timeout);
    }

    @Override
    public final byte[] tryReceive() throws IOException {
        return core.tryReceive();
    }

    @Override
    public final int poll(MessageHandler handler, int limit) throws IOException {
        return core.poll(handler, limit);
    }

    @Override
    public final int poll(MessageHandler handler, int limit, Duration timeout) throws IOException {
        return core.poll(handler, limit, timeout);
    }

    @Override
    public final CompletableFuture<byte[]> receiveAsync() {
        return core.receiveAsync();
    }

    @Override
    public final Flow.Publisher<byte[]> asPublisher() {
        return core.asPublisher();
    }

    @Override
    public final Thread onMessage(MessageHandler handler, Consumer<? super Throwable> onError) {
        return core.onMessage(handler, onError);
    }

    @Override
    public final void close() throws IOException {
        core.close();
    }

    /**
     * Describes the connection for logs.
     *
     * @return the class's simple name, the connection's name, and whether it is closed
     */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name() + (isClosedLocally() ? ", closed]" : "]");
    }

    /** Conduit's shared machinery, calling back into the transport's primitives. */
    private final class Core extends AbstractConnection {
        Core(Endpoint endpoint, String name, int maxFrame) {
            super(endpoint, name, maxFrame);
        }

        String name() {
            return name;
        }

        int maxFrame() {
            return maxFrame;
        }

        boolean closedLocally() {
            return isClosedLocally();
        }

        ConnectionClosedException localClose(String call) {
            return closedLocally(call);
        }

        ConnectionClosedException peerClose(String call, Throwable cause) {
            return closedByPeer(call, cause);
        }

        InterruptedIOException interruptedCall(String call) {
            return interrupted(call);
        }

        byte[] copyNext(long waitNanos) throws IOException {
            return super.nextArray(waitNanos);
        }

        @Override
        protected byte[] nextArray(long waitNanos) throws IOException {
            return MessageConnection.this.nextArray(waitNanos == NEXT_IN_POLL ? 0 : waitNanos);
        }

        @Override
        protected ByteBuffer nextMessage(long waitNanos) throws IOException {
            ByteBuffer view = MessageConnection.this.nextMessage(waitNanos == NEXT_IN_POLL ? 0 : waitNanos);
            // Handlers are lent the message: they must not write into the transport's memory.
            return view == null || view.isReadOnly() ? view : view.asReadOnlyBuffer();
        }

        @Override
        protected boolean sendPayload(Object payload, int offset, long length,
                AbstractConnection.SendMode mode) throws IOException {
            MemorySegment message = switch (payload) {
                case byte[] array -> MemorySegment.ofArray(array).asSlice(offset, length);
                case ByteBuffer buffer -> MemorySegment.ofBuffer(buffer);
                case MemorySegment segment -> segment;
                default -> throw new IllegalStateException("payload " + payload.getClass());
            };
            return MessageConnection.this.sendMessage(message, switch (mode) {
                case SEND -> dev.conduit.spi.support.SendMode.SEND;
                case TRY_SEND -> dev.conduit.spi.support.SendMode.TRY_SEND;
                case WRITE -> dev.conduit.spi.support.SendMode.WRITE;
            });
        }

        @Override
        protected void flushWritten() throws IOException {
            MessageConnection.this.flushWritten();
        }

        @Override
        protected void closeTransport() throws IOException {
            MessageConnection.this.closeTransport();
        }
    }
}
