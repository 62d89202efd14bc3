package dev.conduit.websocket.internal;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.frame.Frames;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One WebSocket connection, either side: one WebSocket message is one Conduit message.
 *
 * <p><b>Receiving.</b> Netty's event loop reassembles each message ({@code WebSocketFrameAggregator})
 * and hands it to {@link #deliver}, which queues it here. Above {@value #HIGH_WATER_BYTES} bytes
 * queued, the channel stops reading, so a slow receiver holds the peer back through TCP instead
 * of growing memory; it reads again once the queue is below half of that.
 *
 * <p><b>Sending.</b> A message goes to Netty as one binary frame ({@code send(CharSequence)}:
 * one text frame). While the channel is not writable (more than its write buffer's high water
 * mark is queued for the socket) {@code send} and {@code write} wait and {@code trySend}
 * returns {@code false}; {@code write} queues without flushing, {@code flush} flushes.
 *
 * <p><b>Ending.</b> The peer's close frame, a vanished peer, a peer silent beyond
 * {@code pingTimeout}, or a protocol error end the stream after the messages already queued; a
 * message above {@code maxFrame} ends it with {@link FrameTooLongException} (the peer gets close
 * code 1009). {@link #close()} sends a close frame after everything written, and waits up to
 * {@value #CLOSE_LINGER_SECONDS} s for the peer's.
 */
final class WebSocketConnection extends AbstractConnection {
    static final int HIGH_WATER_BYTES = 4 << 20;
    private static final int CLOSE_LINGER_SECONDS = 2;

    private final Channel channel;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a message arrives, the channel becomes writable, or the stream ends. */
    private final Condition changed = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
    private long inboxBytes;
    private IOException end;
    /** Messages in the inbox, or -1 once it ended: read without the lock by a spinning receiver. */
    private volatile int queued;
    private volatile boolean closeSent;
    private final long spinNanos;

    WebSocketConnection(WsSettings settings, Channel channel) {
        super(settings.endpoint(), settings.name(), settings.maxFrame());
        this.channel = channel;
        this.spinNanos = settings.spinNanos();
    }

    Channel channel() {
        return channel;
    }

    /** @return whether this side sent its close frame: a close frame from the peer is the answer */
    boolean closeSent() {
        return closeSent;
    }

    // ---- from the event loop ----------------------------------------------------------------

    /** Queues a message from the peer. Event loop only. */
    void deliver(byte[] message) {
        lock.lock();
        try {
            inbox.add(message);
            inboxBytes += message.length;
            queued = inbox.size();
            if (inboxBytes > HIGH_WATER_BYTES) {
                channel.config().setAutoRead(false);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream after the queued messages, with {@code why}; the first reason stays. */
    void ended(IOException why) {
        lock.lock();
        try {
            if (end == null) {
                end = why;
            }
            queued = -1;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The channel's writability changed, or it closed: senders look again. */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- receiving --------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        byte[] message = nextArray(waitNanos);
        return message == null ? null : ByteBuffer.wrap(message).asReadOnlyBuffer();
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, waitNanos);
        if (spinNanos > 0 && queued == 0 && waitNanos != 0 && waitNanos != NEXT_IN_POLL
                && !Thread.currentThread().isVirtual()) {
            // As Conduit's socket receivers: a message within the spin costs no wake-up.
            long until = System.nanoTime() + (waitNanos == FOREVER ? spinNanos : Math.min(spinNanos, waitNanos));
            while (queued == 0 && !isClosedLocally() && System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }
        lock.lock();
        try {
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                byte[] message = inbox.poll();
                if (message != null) {
                    inboxBytes -= message.length;
                    if (queued > 0) {
                        queued = inbox.size();
                    }
                    if (inboxBytes <= HIGH_WATER_BYTES / 2 && !channel.config().isAutoRead()) {
                        channel.config().setAutoRead(true);
                    }
                    return message;
                }
                if (end != null) {
                    throw ended("receive");
                }
                if (waitNanos == 0 || waitNanos == NEXT_IN_POLL) {
                    return null;
                }
                if (waitNanos == FOREVER) {
                    changed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    changed.awaitNanos(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted("receive");
        } finally {
            lock.unlock();
        }
    }

    /** @return the end of the stream for {@code call}, a new exception with the first cause */
    private IOException ended(String call) {
        if (end instanceof FrameTooLongException tooLong) {
            return new FrameTooLongException(name + ": " + call, tooLong.length(), tooLong.maximum());
        }
        return new ConnectionClosedException(name + ": " + call + ": " + end.getMessage(), end.getCause());
    }

    // ---- sending ----------------------------------------------------------------------------

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        if (!awaitWritable(mode)) {
            return false;
        }
        hand(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Payloads.toArray(payload, offset, length))), mode);
        return true;
    }

    @Override
    public void send(CharSequence message) throws IOException {
        sendText(message, SendMode.SEND);
    }

    @Override
    public boolean trySend(CharSequence message) throws IOException {
        return sendText(message, SendMode.TRY_SEND);
    }

    @Override
    public void write(CharSequence message) throws IOException {
        sendText(message, SendMode.WRITE);
    }

    /** As a binary message, checked the same way, but one text frame. */
    private boolean sendText(CharSequence message, SendMode mode) throws IOException {
        byte[] utf8 = message.toString().getBytes(StandardCharsets.UTF_8);
        Frames.checkSendLength(name, mode.call, utf8.length, maxFrame);
        if (isClosedLocally()) {
            throw closedLocally(mode.call);
        }
        if (!awaitWritable(mode)) {
            return false;
        }
        hand(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8)), mode);
        return true;
    }

    /** @return whether the channel can take a message now, waiting for it unless {@code trySend} */
    private boolean awaitWritable(SendMode mode) throws IOException {
        if (channel.isWritable()) {
            return true;
        }
        // What is written but not flushed counts too: send it, or the wait would never end.
        channel.flush();
        lock.lock();
        try {
            while (!channel.isWritable()) {
                checkSendable(mode.call);
                if (mode == SendMode.TRY_SEND) {
                    return false;
                }
                changed.await(50, TimeUnit.MILLISECONDS);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(mode.call);
        } finally {
            lock.unlock();
        }
    }

    private void hand(WebSocketFrame frame, SendMode mode) throws IOException {
        checkSendable(mode.call);
        if (mode == SendMode.WRITE) {
            channel.write(frame, channel.voidPromise());
        } else {
            channel.writeAndFlush(frame, channel.voidPromise());
        }
    }

    private void checkSendable(String call) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
        IOException why;
        lock.lock();
        try {
            why = end;
        } finally {
            lock.unlock();
        }
        if (why != null || !channel.isActive()) {
            throw new ConnectionClosedException(name + ": " + call + ": " + (why == null ? "connection closed"
                    : why.getMessage()), why);
        }
    }

    @Override
    protected void flushWritten() throws IOException {
        checkSendable("flush");
        channel.flush();
    }

    // ---- closing ----------------------------------------------------------------------------

    @Override
    protected void closeTransport() {
        wake();
        if (channel.isActive()) {
            closeSent = true;
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
            if (!channel.eventLoop().inEventLoop()) {
                channel.closeFuture().awaitUninterruptibly(TimeUnit.SECONDS.toMillis(CLOSE_LINGER_SECONDS));
            }
        }
        channel.close();
    }
}
