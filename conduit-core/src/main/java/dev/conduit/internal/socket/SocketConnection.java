package dev.conduit.internal.socket;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.frame.FrameDecoder;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A framed connection over a stream {@link SocketChannel} (Unix domain or TCP), kept in
 * non-blocking mode so that time-outs and non-blocking calls need no thread; waits go through a
 * per-direction {@link Selector}, made on first need.
 *
 * <p>Sends hold {@code sendLock} for a whole frame, so frames never interleave. A non-blocking
 * send that got part of a frame out keeps the rest as {@code pending}: whoever takes the lock
 * next writes it first, and a flusher thread is started so it goes out even if no one sends
 * again.
 */
public final class SocketConnection extends AbstractConnection {
    private static final int SEND_BUFFER_BYTES = 64 * 1024;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final SocketChannel channel;
    private final FrameDecoder decoder;
    private final PeerCredentials peer;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(SEND_BUFFER_BYTES);
    private final MemorySegment sendSegment = MemorySegment.ofBuffer(sendBuffer);
    private volatile Selector readSelector;
    private volatile Selector writeSelector;
    private ByteBuffer pending;
    private boolean endOfStream;
    private IOException failure;

    /**
     * @param endpoint the endpoint, as clients name it
     * @param channel  a connected channel; this connection owns it and makes it non-blocking
     * @param maxFrame the largest message either way
     * @param peer     the peer's credentials, or null if the transport cannot tell
     * @throws IOException if the channel cannot be configured
     */
    public SocketConnection(Endpoint endpoint, SocketChannel channel, int maxFrame, PeerCredentials peer)
            throws IOException {
        super(endpoint, endpoint.toString(), maxFrame);
        this.channel = channel;
        this.peer = peer;
        this.decoder = new FrameDecoder(endpoint.toString(), maxFrame, FrameDecoder.DEFAULT_BUFFER_BYTES);
        channel.configureBlocking(false);
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return Optional.ofNullable(peer);
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        return awaitFrame(waitNanos) ? decoder.frame() : null;
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        return awaitFrame(waitNanos) ? decoder.frameArray() : null;
    }

    private boolean awaitFrame(long waitNanos) throws IOException {
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        while (true) {
            if (isClosedLocally()) {
                throw closedLocally("receive");
            }
            if (failure != null) {
                throw new ConnectionClosedException(name + ": receive: connection lost", failure);
            }
            if (decode()) {
                return true;
            }
            if (endOfStream) {
                throw closedByPeer("receive", null);
            }
            int n;
            try {
                n = decoder.readFrom(channel);
            } catch (IOException e) {
                throw lost("receive", e);
            }
            if (n > 0) {
                continue;
            }
            if (n < 0) {
                endOfStream = true;
                if (decoder.midFrame()) {
                    failure = new ConnectionClosedException(name + ": receive: peer closed in the middle of a"
                            + " frame (" + decoder.heldBytes() + " bytes of it received)");
                    throw failure;
                }
                continue;
            }
            long left = waitNanos < 0 ? 0 : deadline - System.nanoTime();
            if (waitNanos == 0 || (waitNanos > 0 && left <= 0)) {
                return false;
            }
            await(SelectionKey.OP_READ, left, "receive");
        }
    }

    private boolean decode() throws FrameTooLongException {
        try {
            return decoder.next();
        } catch (FrameTooLongException e) {
            failure = e;
            closeQuietly();
            throw e;
        }
    }

    @Override
    protected boolean sendMessage(MemorySegment payload, boolean block) throws IOException {
        if (block) {
            sendLock.lock();
        } else if (!sendLock.tryLock()) {
            return false;
        }
        try {
            if (isClosedLocally()) {
                throw closedLocally("send");
            }
            if (pending != null && !flushPending(block)) {
                return false;
            }
            return writeFrame(payload, block);
        } finally {
            sendLock.unlock();
        }
    }

    private boolean writeFrame(MemorySegment payload, boolean block) throws IOException {
        long length = payload.byteSize();
        long copied = 0;
        boolean started = false;
        sendBuffer.clear();
        sendBuffer.putInt((int) length);
        while (true) {
            int chunk = (int) Math.min(sendBuffer.remaining(), length - copied);
            MemorySegment.copy(payload, copied, sendSegment, sendBuffer.position(), chunk);
            sendBuffer.position(sendBuffer.position() + chunk);
            copied += chunk;
            sendBuffer.flip();
            while (sendBuffer.hasRemaining()) {
                if (write(sendBuffer) > 0) {
                    started = true;
                } else if (block) {
                    await(SelectionKey.OP_WRITE, 0, "send");
                } else if (!started) {
                    return false;
                } else {
                    keepPending(payload, copied);
                    return true;
                }
            }
            if (copied == length) {
                return true;
            }
            sendBuffer.clear();
        }
    }

    /** Keeps the unsent rest of a frame and starts a flusher that writes it. */
    private void keepPending(MemorySegment payload, long copied) {
        long rest = sendBuffer.remaining() + (payload.byteSize() - copied);
        MemorySegment copy = Arena.ofAuto().allocate(rest);
        MemorySegment.copy(sendSegment, sendBuffer.position(), copy, 0, sendBuffer.remaining());
        MemorySegment.copy(payload, copied, copy, sendBuffer.remaining(), payload.byteSize() - copied);
        pending = copy.asByteBuffer();
        Thread.ofVirtual().name("conduit-flush " + name).start(this::flushInBackground);
    }

    private void flushInBackground() {
        sendLock.lock();
        try {
            if (pending != null && !isClosedLocally()) {
                flushPending(true);
            }
        } catch (IOException e) {
            // The next send reports the broken connection; nothing here can.
        } finally {
            sendLock.unlock();
        }
    }

    private boolean flushPending(boolean block) throws IOException {
        while (pending.hasRemaining()) {
            if (write(pending) == 0) {
                if (!block) {
                    return false;
                }
                await(SelectionKey.OP_WRITE, 0, "send");
            }
        }
        pending = null;
        return true;
    }

    private int write(ByteBuffer buffer) throws IOException {
        try {
            return channel.write(buffer);
        } catch (IOException e) {
            throw lost("send", e);
        }
    }

    /** Waits until the channel is ready for {@code op} or {@code nanos} pass (0: no limit). */
    private void await(int op, long nanos, String call) throws IOException {
        try {
            Selector selector = selector(op);
            // The field is published before this check, so a concurrent close either sees the
            // selector (and wakes it) or is seen here.
            if (isClosedLocally()) {
                selector.close();
                throw closedLocally(call);
            }
            select(selector, nanos);
        } catch (ClosedSelectorException | ClosedChannelException e) {
            throw closedLocally(call);
        }
    }

    private Selector selector(int op) throws IOException {
        Selector selector = op == SelectionKey.OP_READ ? readSelector : writeSelector;
        if (selector == null) {
            selector = Selector.open();
            if (op == SelectionKey.OP_READ) {
                readSelector = selector;
            } else {
                writeSelector = selector;
            }
            try {
                channel.register(selector, op);
            } catch (IOException | RuntimeException e) {
                selector.close();
                throw e;
            }
        }
        return selector;
    }

    private void select(Selector selector, long nanos) throws IOException {
        selector.select(nanos <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
        selector.selectedKeys().clear();
        // An interrupted thread's select returns at once, every time: stop instead of spinning.
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException(name + ": interrupted while waiting");
        }
    }

    private IOException lost(String call, IOException e) {
        if (isClosedLocally() || e instanceof AsynchronousCloseException) {
            return closedLocally(call);
        }
        if (e instanceof ClosedChannelException) {
            return new ConnectionClosedException(name + ": " + call + ": connection lost", failure);
        }
        return new ConnectionClosedException(name + ": " + call + ": connection lost: " + e.getMessage(), e);
    }

    @Override
    protected void closeTransport() throws IOException {
        if (sendLock.tryLock()) {
            try {
                lingerPending();
                channel.shutdownOutput();
            } catch (IOException e) {
                // Closing anyway; the peer sees the connection end.
            } finally {
                sendLock.unlock();
            }
        }
        closeQuietly();
    }

    /** Gives a kept partial frame up to two seconds to go out, so an orderly close loses nothing. */
    private void lingerPending() throws IOException {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        while (pending != null && pending.hasRemaining()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            if (channel.write(pending) == 0) {
                select(selector(SelectionKey.OP_WRITE), left);
            }
        }
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing more can be done with a channel that fails to close.
        }
        for (Selector s : new Selector[] {readSelector, writeSelector}) {
            if (s != null) {
                s.wakeup();
                try {
                    s.close();
                } catch (IOException e) {
                    // As above.
                }
            }
        }
    }
}
