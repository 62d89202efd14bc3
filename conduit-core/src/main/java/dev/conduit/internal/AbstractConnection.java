package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.ConnectionCounters;
import dev.conduit.ConnectionEvent;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.MessageHandler;
import dev.conduit.Subscription;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.jfr.JfrEvents;
import dev.conduit.internal.jfr.SendBlockedEvent;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Everything a connection does, built on three primitives a transport implements:
 * {@link #nextMessage}, {@link #sendPayload} and {@link #closeTransport}. This class owns the
 * receive serialisation, the {@code onMessage} loop, the length check on send and idempotent
 * close, so every transport has the same semantics.
 *
 * <p>A transport also overrides {@link #flushWritten} if its {@link SendMode#WRITE} keeps
 * messages back.
 */
public abstract class AbstractConnection implements Connection {
    /** {@link #nextMessage} argument: wait as long as it takes. */
    protected static final long FOREVER = -1;
    /**
     * {@link #nextMessage} argument for the second and later messages of one {@link #poll}: no
     * wait, and a transport may return {@code null} without asking the OS again when its last
     * read in this call showed that nothing more was there.
     */
    protected static final long NEXT_IN_POLL = -2;

    /** How a message is handed to {@link #sendPayload}. */
    protected enum SendMode {
        /** Sends it, and everything written before it, waiting while the peer is full. */
        SEND("send"),
        /**
         * Sends it, and everything written before it, if that needs no wait for the peer;
         * otherwise sends nothing of it and returns {@code false}.
         */
        TRY_SEND("trySend"),
        /**
         * Queues it behind everything written before it. A transport may send it at once; one
         * that keeps it sends it on {@link #flushWritten}, or earlier, waiting as {@code SEND}
         * does when it must send to make room.
         */
        WRITE("write");

        /** The API call, for messages. */
        public final String call;

        SendMode(String call) {
            this.call = call;
        }
    }

    protected final Endpoint endpoint;
    /** How messages name this connection: the endpoint, or e.g. {@code spawn:python3(pid 42)}. */
    protected final String name;
    protected final int maxFrame;
    private final BiasedLock receiveLock = new BiasedLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean lost;
    /** Set once, by a subclass's constructor: whether {@link #messageTaken} is wanted. */
    private boolean reportsTaken;
    private final AtomicReference<Thread> loop = new AtomicReference<>();
    private final AtomicReference<AsyncReceiver<byte[]>> async = new AtomicReference<>();
    /** This connection's counters; see {@link Counters} for who writes which. */
    protected final Counters counters = new Counters();
    /** Who listens for this connection's {@link ConnectionEvent}s. */
    protected final EventSubscribers events = new EventSubscribers();
    /** Set once the loss or close was told to {@link #events}: each connection ends once. */
    private final AtomicBoolean endTold = new AtomicBoolean();
    /** Set by {@link #closeForFault()}: the close that follows is a loss, not this side's doing. */
    private volatile boolean faulted;
    /** Set once, by a subclass's constructor: whether it counts sends under its send lock. */
    private boolean countsSends;

    protected AbstractConnection(Endpoint endpoint, String name, int maxFrame) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.name = Objects.requireNonNull(name, "name");
        this.maxFrame = maxFrame;
        ConnectionRegistry.add(this);
    }

    /**
     * The next message as a view valid until the next call. Called by one thread at a time.
     *
     * @param waitNanos {@link #FOREVER}, 0 or {@link #NEXT_IN_POLL} for no wait, or the most to wait
     * @return the message, or {@code null} if none came in time
     * @throws IOException {@link ConnectionClosedException} once closed and drained, or a failure
     */
    protected abstract ByteBuffer nextMessage(long waitNanos) throws IOException;

    /**
     * As {@link #nextMessage}, as an array the caller keeps. Transports that already hold one
     * hand it over instead of copying.
     *
     * @param waitNanos as {@link #nextMessage}
     * @return the message, or {@code null} if none came in time
     * @throws IOException as {@link #nextMessage}
     */
    protected byte[] nextArray(long waitNanos) throws IOException {
        ByteBuffer view = nextMessage(waitNanos);
        if (view == null) {
            return null;
        }
        byte[] copy = new byte[view.remaining()];
        view.get(view.position(), copy);
        return copy;
    }

    /**
     * Sends or writes one message whose length was checked against {@code maxFrame}, in the form
     * the caller gave it: {@code length} bytes from index {@code offset} of a {@code byte[]} (heap
     * buffers come as their arrays), of a direct or read-only {@link ByteBuffer} ({@code offset}
     * is its position, which must not change), or of a {@link MemorySegment} ({@code offset} 0).
     * {@link Payloads} copies out of any of them without a wrapper. May be called by many threads
     * at once; must not interleave messages, and must keep the order of the calls whatever their
     * modes.
     *
     * @param payload the message's holder; not retained after the call
     * @param mode    how: see {@link SendMode}
     * @return whether the message was taken ({@code false} only for {@link SendMode#TRY_SEND})
     * @throws IOException {@link ConnectionClosedException} if closed, or a failure
     */
    protected abstract boolean sendPayload(Object payload, int offset, long length, SendMode mode)
            throws IOException;

    /**
     * Sends every message {@link SendMode#WRITE} kept back, waiting while the peer is full. The
     * default does nothing, for transports that send written messages at once.
     *
     * @throws IOException {@link ConnectionClosedException} if closed, or a failure
     */
    protected void flushWritten() throws IOException {
    }

    /**
     * Called once for each whole message the application has taken: after {@code receive} (and
     * so {@code receiveAsync}) got it, and after the handler of {@code poll} or {@code onMessage}
     * returned (or threw) with it. Called under the receive lock, by the receiving thread. The
     * default does nothing; a transport that acknowledges messages to its peer (ipcez's
     * semaphores) does it here, and asks for the calls with {@link #reportTakenMessages()}.
     *
     * @throws IOException if the acknowledgement failed
     */
    protected void messageTaken() throws IOException {
    }

    /**
     * Asks for {@link #messageTaken()} after each message; called from the constructor. Without it
     * the receive paths skip the call, which would otherwise be a call per message on every
     * transport for the one that acknowledges.
     */
    protected final void reportTakenMessages() {
        reportsTaken = true;
    }

    /**
     * Releases the transport, once. Must end calls blocked in other threads.
     *
     * @throws IOException if releasing failed
     */
    protected abstract void closeTransport() throws IOException;

    /**
     * Takes a transport's send lock as {@code mode} allows: waiting for {@code send} and
     * {@code write}, only if it is free for {@code trySend}.
     *
     * @return whether the lock is now held
     */
    protected static boolean lockFor(BiasedLock lock, SendMode mode) {
        if (mode != SendMode.TRY_SEND) {
            lock.lock();
            return true;
        }
        return lock.tryLock();
    }

    /**
     * Runs {@code action} under the receive lock if no receiver holds it, or one gives it back
     * within {@code nanos}; never if the calling thread holds it (a handler closing its own
     * connection still reads the message it was lent). For a transport that frees the receive
     * side's memory on close.
     *
     * @return whether {@code action} ran
     */
    protected final boolean runIfNotReceiving(long nanos, Runnable action) {
        if (receiveLock.isHeldByCurrentThread() || !receiveLock.tryLock(nanos)) {
            return false;
        }
        try {
            action.run();
            return true;
        } finally {
            receiveLock.unlock();
        }
    }

    /** @return whether {@link #close()} has been called */
    protected final boolean isClosedLocally() {
        return closed.get();
    }

    /** @return the exception for a call whose wait was interrupted (the caller keeps the flag set) */
    protected final InterruptedIOException interrupted(String call) {
        return new InterruptedIOException(name + ": " + call + ": interrupted");
    }

    /** @return the exception for a call on a connection this side closed */
    protected final ConnectionClosedException closedLocally(String call) {
        return new ConnectionClosedException(name + ": " + call + ": connection closed locally");
    }

    /** @return the exception for a call on a connection the peer closed */
    protected final ConnectionClosedException closedByPeer(String call, Throwable cause) {
        return new ConnectionClosedException(name + ": " + call + ": connection closed by peer", cause);
    }

    @Override
    public final Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public final boolean isOpen() {
        return !closed.get() && !lost;
    }

    @Override
    public final void send(MemorySegment message) throws IOException {
        transmit(message, 0, message.byteSize(), SendMode.SEND);
    }

    @Override
    public final void send(ByteBuffer message) throws IOException {
        transmit(message, SendMode.SEND);
    }

    @Override
    public final void send(byte[] message) throws IOException {
        transmit(message, 0, message.length, SendMode.SEND);
    }

    @Override
    public final boolean trySend(MemorySegment message) throws IOException {
        return transmit(message, 0, message.byteSize(), SendMode.TRY_SEND);
    }

    @Override
    public final boolean trySend(ByteBuffer message) throws IOException {
        return transmit(message, SendMode.TRY_SEND);
    }

    @Override
    public final boolean trySend(byte[] message) throws IOException {
        return transmit(message, 0, message.length, SendMode.TRY_SEND);
    }

    @Override
    public final void write(MemorySegment message) throws IOException {
        transmit(message, 0, message.byteSize(), SendMode.WRITE);
    }

    @Override
    public final void write(ByteBuffer message) throws IOException {
        transmit(message, SendMode.WRITE);
    }

    @Override
    public final void write(byte[] message) throws IOException {
        transmit(message, 0, message.length, SendMode.WRITE);
    }

    @Override
    public final void flush() throws IOException {
        if (closed.get()) {
            throw closedLocally("flush");
        }
        try {
            flushWritten();
        } catch (ConnectionClosedException e) {
            lost = true;
            throw e;
        }
    }

    /** A heap buffer goes on as its array: one path for both. */
    private boolean transmit(ByteBuffer message, SendMode mode) throws IOException {
        if (message.hasArray()) {
            return transmit(message.array(), message.arrayOffset() + message.position(), message.remaining(), mode);
        }
        return transmit(message, message.position(), message.remaining(), mode);
    }

    /** Checks, then hands the message over as {@link #sendPayload} takes it. */
    private boolean transmit(Object message, int offset, long length, SendMode mode) throws IOException {
        return transmit(message, offset, length, mode, null);
    }

    /** As above, or through {@code own} if not null, for {@link #transmitOwn}. */
    private boolean transmit(Object message, int offset, long length, SendMode mode, OwnSend own)
            throws IOException {
        checkSendable(length, mode);
        try {
            boolean taken = own == null ? sendPayload(message, offset, length, mode) : own.send();
            if (taken && !countsSends) {
                counters.sentShared(length);
            }
            return taken;
        } catch (ConnectionClosedException e) {
            lostBy(e);
            throw e;
        }
    }

    private void checkSendable(long length, SendMode mode) throws IOException {
        if (length > maxFrame) {
            refuseToSend(length, mode);
        }
        if (closed.get()) {
            throw closedLocally(mode.call);
        }
    }

    @Override
    public final byte[] receive() throws IOException {
        return receiveArray(FOREVER);
    }

    @Override
    public final byte[] receive(Duration timeout) throws IOException {
        return receiveArray(toWaitNanos(timeout));
    }

    @Override
    public final byte[] tryReceive() throws IOException {
        return receiveArray(0);
    }

    private byte[] receiveArray(long waitNanos) throws IOException {
        checkNoLoop("receive");
        receiveLock.lock();
        try {
            byte[] message = nextArray(waitNanos);
            if (message != null) {
                counters.received(message.length);
                if (reportsTaken) {
                    messageTaken();
                }
            }
            return message;
        } catch (ConnectionClosedException | FrameTooLongException e) {
            lostBy(e);
            throw e;
        } finally {
            receiveLock.unlock();
        }
    }

    @Override
    public final int poll(MessageHandler handler, int limit) throws IOException {
        return pollFor(handler, limit, 0);
    }

    @Override
    public final int poll(MessageHandler handler, int limit, Duration timeout) throws IOException {
        return pollFor(handler, limit, toWaitNanos(timeout));
    }

    /** @param waitNanos how long to wait for the first message: 0 not at all */
    private int pollFor(MessageHandler handler, int limit, long waitNanos) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected >= 1)");
        }
        checkNoLoop("poll");
        receiveLock.lock();
        try {
            int handled = 0;
            while (handled < limit) {
                ByteBuffer message;
                try {
                    message = nextMessage(handled == 0 ? waitNanos : NEXT_IN_POLL);
                } catch (ConnectionClosedException | FrameTooLongException e) {
                    lostBy(e);
                    if (handled == 0) {
                        throw e;
                    }
                    return handled;
                }
                if (message == null) {
                    break;
                }
                handled++;
                counters.received(message.remaining());
                try {
                    handler.onMessage(message);
                } finally {
                    if (reportsTaken) {
                        messageTaken();
                    }
                }
            }
            return handled;
        } finally {
            try {
                pollDone();
            } finally {
                receiveLock.unlock();
            }
        }
    }

    /**
     * Called at the end of every {@link #poll}, under the receive lock, once no view it handed
     * out is in use any more: a transport that hands out views into shared memory gives their
     * bytes back here in one go. The default does nothing.
     */
    protected void pollDone() {
    }

    @Override
    public final CompletableFuture<byte[]> receiveAsync() {
        return async().next();
    }

    @Override
    public final Flow.Publisher<byte[]> asPublisher() {
        return async().publisher();
    }

    private AsyncReceiver<byte[]> async() {
        AsyncReceiver<byte[]> made = async.get();
        if (made == null) {
            async.compareAndSet(null,
                    new AsyncReceiver<>(this::receive, name, ConnectionClosedException.class::isInstance));
            made = async.get();
        }
        return made;
    }

    @Override
    public final Thread onMessage(MessageHandler handler, Consumer<? super Throwable> onError) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(onError, "onError");
        Thread thread = Thread.ofVirtual().name("conduit-onMessage " + name).unstarted(
                () -> runLoop(handler, onError));
        if (!loop.compareAndSet(null, thread)) {
            throw new IllegalStateException(name + ": onMessage: a handler loop is already running");
        }
        thread.start();
        return thread;
    }

    private void runLoop(MessageHandler handler, Consumer<? super Throwable> onError) {
        Throwable failure = null;
        receiveLock.lock();
        try {
            while (true) {
                ByteBuffer message = nextMessage(FOREVER);
                counters.received(message.remaining());
                try {
                    handler.onMessage(message);
                } finally {
                    if (reportsTaken) {
                        messageTaken();
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
            if (t instanceof ConnectionClosedException || t instanceof FrameTooLongException) {
                lostBy((IOException) t);
            }
        } finally {
            receiveLock.unlock();
            loop.set(null);
        }
        if (!(failure instanceof ConnectionClosedException && closed.get())) {
            onError.accept(failure);
        }
    }

    private void checkNoLoop(String call) {
        Thread running = loop.get();
        if (running != null && running != Thread.currentThread()) {
            throw new IllegalStateException(name + ": " + call + ": an onMessage handler loop is receiving");
        }
    }

    @Override
    public final void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            try {
                closeTransport();
            } finally {
                ConnectionRegistry.remove(this);
                JfrEvents.closed(name, lost, counters::read);
                if (!faulted && events.any() && endTold.compareAndSet(false, true)) {
                    events.fire(new ConnectionEvent.Disconnected(endpoint, true, null));
                }
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + (closed.get() ? ", closed]" : "]");
    }

    /**
     * @param duration a time-out, for an error message
     * @return it as people write it: {@code 250 ms}, {@code 5 s}, {@code 1.5 s}
     */
    public static String text(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + " ms";
        }
        return (millis % 1000 == 0 ? String.valueOf(millis / 1000) : String.valueOf(millis / 1000.0)) + " s";
    }

    /**
     * @param timeout a caller's time-out
     * @return it in nanoseconds, saturated; a zero or negative time-out means no wait
     */
    public static long toWaitNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * {@inheritDoc} Sends are counted once the transport took the message; received messages once
     * handed to the application.
     */
    @Override
    public final ConnectionCounters counters() {
        return counters.read();
    }

    /**
     * Called from the constructor by a transport that calls {@link Counters#sent} itself, under
     * its send lock: then this class does not count sends with an atomic add after the call.
     */
    protected final void countSendsUnderLock() {
        countsSends = true;
    }

    /**
     * @return a started JFR send-blocked event for a sender about to wait for room, or
     *         {@code null} if no recording wants one; hand it to {@link #sendBlockEnds}
     */
    protected static SendBlockedEvent sendBlockBegins() {
        return JfrEvents.sendBlockBegins();
    }

    /**
     * Counts a sender's wait for room that began at {@code since} ({@link System#nanoTime()}) and
     * ends the JFR event, which is committed if the wait passed its threshold. Called under the
     * send lock.
     */
    protected final void sendBlockEnds(long since, SendBlockedEvent event, String call) {
        counters.blocked(System.nanoTime() - since);
        JfrEvents.sendBlockEnds(event, name, call);
    }

    /**
     * Counts and tells a message too long to send, then throws. Out of {@link #checkSendable}, so
     * the send path the JIT inlines stays small.
     *
     * @throws FrameTooLongException always
     */
    private void refuseToSend(long length, SendMode mode) throws FrameTooLongException {
        counters.refused();
        JfrEvents.frameTooLong(name, false, length, maxFrame);
        if (events.any()) {
            events.fire(new ConnectionEvent.FrameTooLong(endpoint, false, length, maxFrame));
        }
        Frames.checkSendLength(name, mode.call, length, maxFrame);
    }

    private void lostBy(IOException e) {
        lost = true;
        if (e instanceof FrameTooLongException tooLong) {
            counters.refused();
            JfrEvents.frameTooLong(name, true, tooLong.length(), tooLong.maximum());
            if (events.any()) {
                events.fire(new ConnectionEvent.FrameTooLong(endpoint, true, tooLong.length(), tooLong.maximum()));
            }
        }
        // A close by this side also fails calls with ConnectionClosedException: that is told by close.
        if ((!closed.get() || faulted) && events.any() && endTold.compareAndSet(false, true)) {
            events.fire(new ConnectionEvent.Disconnected(endpoint, false, e));
        }
    }

    /**
     * Closes this connection because of a fault the caller is about to throw (a frame too long,
     * say): the close is then told to subscribers as the loss the exception shows, not as this
     * side's close.
     */
    protected final void closeForFault() throws IOException {
        faulted = true;
        close();
    }

    /**
     * {@inheritDoc} Events are told on the thread that found what happened: the one whose call
     * met the loss or the refused frame, or the one that closed.
     */
    @Override
    public final Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return events.add(subscriber);
    }

    /** @return for {@code conduit stat}: open, closed (here) or lost (the peer closed or was lost) */
    final String state() {
        return closed.get() ? "closed" : lost ? "lost" : "open";
    }

    /** @return how messages name this connection, for {@code conduit stat} */
    final String statName() {
        return name;
    }

    /** A send a subclass frames its own way, for {@link #transmitOwn}. */
    @FunctionalInterface
    protected interface OwnSend {
        /** @return whether the message went out */
        boolean send() throws IOException;
    }

    /**
     * Sends a message that a subclass frames its own way (a session's publish with a subject)
     * with send's checks and counting: {@code length} against {@code maxFrame}, a local close,
     * the sent counters, a loss.
     *
     * @param length the bytes {@code maxFrame} bounds
     * @return what {@code send} returned
     */
    protected final boolean transmitOwn(long length, SendMode mode, OwnSend send) throws IOException {
        return transmit(null, 0, length, mode, send);
    }
}
