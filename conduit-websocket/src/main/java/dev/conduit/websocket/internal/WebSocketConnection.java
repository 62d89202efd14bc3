package dev.conduit.websocket.internal;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.ReceiveLimits;
import dev.conduit.spi.support.SendMode;
import dev.conduit.spi.support.SocketReadiness;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One WebSocket connection, either side: one WebSocket message is one Conduit message.
 *
 * <p><b>Threads.</b> Netty does the protocol (HTTP upgrade, TLS, frames, masking, deflate) in
 * a pipeline that is driven, not run on an event loop: bytes read from the socket go in, bytes
 * it makes come out into an {@link Outbox} and go to the socket. Whoever calls does the I/O, as
 * Conduit's socket transports do, so a round trip costs no hand-off between threads: a
 * receiver reads, spinning first as {@code ?spin=} allows; a sender encodes and writes. When
 * no one is receiving, the {@link Keeper} reads for the connection now and then, so pings get
 * their pongs and close frames their answers; it pings the peer, and ends a connection whose
 * peer stays silent beyond {@code pingTimeout}.
 *
 * <p><b>Locks.</b> {@code pipeLock} guards the pipeline, the outbox and the inbox, and is held
 * only while they are used, never during a wait; socket writes happen under it, so bytes leave
 * in the order the pipeline made them. {@code readLock} makes one reader of the socket at a
 * time (a receiver holds it through its wait; the keeper only tries it). {@code sendLock} keeps
 * senders in order.
 *
 * <p><b>Receiving.</b> Messages the keeper reads while no one receives wait in the inbox, up to
 * {@value #HIGH_WATER_BYTES} bytes, and while the inboxes of all connections in the JVM hold
 * less than {@link #INBOXES_BUDGET_BYTES} together; beyond either the keeper stops reading
 * (over the shared budget, it still reads once for a connection whose inbox is empty, so an
 * idle one hears its pings), so a slow receiver holds the peer back through TCP instead of
 * growing memory.
 *
 * <p><b>Sending.</b> A message is one binary frame ({@code send(CharSequence)}: one text frame).
 * While more than {@value #OUTBOX_LIMIT} bytes wait for the socket, {@code send} and
 * {@code write} wait and {@code trySend} returns {@code false}. {@code trySend} takes a message
 * when everything before it is out; if the socket then takes only part of it, a background
 * flusher writes the rest (with TLS, encoded bytes cannot be taken back). {@code write} keeps
 * messages until {@value #WRITE_BATCH_BYTES} bytes wait, or {@code flush}.
 *
 * <p><b>Ending.</b> The peer's close frame, a vanished peer, a peer silent beyond
 * {@code pingTimeout}, or a protocol error end the stream after the messages already queued; a
 * message above {@code maxFrame} ends it with {@link FrameTooLongException} (the peer gets close
 * code 1009). {@link #close()} sends a close frame after everything written (waiting up to two
 * seconds for the socket to take it), and returns; the socket closes once the peer's close frame
 * comes, or after those two seconds, in the background.
 */
final class WebSocketConnection extends MessageConnection {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    static final int HIGH_WATER_BYTES = 4 << 20;
    /**
     * What the inboxes of all connections in this JVM may hold together before the keeper stops
     * reading for those that hold something: a sixteenth of the heap, at least one inbox. With
     * {@link #HIGH_WATER_BYTES} alone, 500 clients flooding slow receivers took a server's heap
     * past 900 MiB after collection, and rising (LoadTest): 2 GiB at 4 MiB each.
     */
    static final long INBOXES_BUDGET_BYTES = Math.max(HIGH_WATER_BYTES, Runtime.getRuntime().maxMemory() / 16);
    /** The bytes in every connection's inbox: added per message on both sides, so it stripes rather than contends. */
    private static final LongAdder INBOXES_BYTES = new LongAdder();
    static final int OUTBOX_LIMIT = 1 << 20;
    static final int WRITE_BATCH_BYTES = 64 * 1024;
    private static final long CLOSE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int READ_BYTES = 64 * 1024;
    /**
     * Every buffer of the pipeline: pooled arrays. Each byte is copied between the socket's
     * direct buffers and the pipeline anyway, and a pooled direct buffer cost more to take and
     * give back than an array; fresh arrays, for 64 KiB messages, kept the collector busy enough
     * to take the round trip's p99 from about 130 µs to about 4 ms (and plain arrays for small
     * buffers beside pooled ones for large did the same).
     */
    private static final ByteBufAllocator ALLOCATOR = new PooledByteBufAllocator(false);

    private final WsSettings settings;
    private final SocketChannel socket;
    private final SocketReadiness readiness;
    /** The peer's address, for the log. */
    private final String peer;
    /** Its time-outs and its share of the receive budget for partly received messages. */
    private final MessageGuard guard;
    private final ReentrantLock pipeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock sendLock = new ReentrantLock();
    // Guarded by pipeLock.
    private final EmbeddedChannel pipe;
    private final Outbox outbox = new Outbox();
    /** Whole messages, as the frames they came in: binary or text, which the receiver may ask. */
    private final ArrayDeque<WebSocketFrame> inbox = new ArrayDeque<>();
    private long inboxBytes;
    /** The message the last {@link #nextMessage} lent out, released by the next receive or close. */
    private ByteBuf lent;
    private boolean released;
    private long lastPing = System.nanoTime();
    // Guarded by readLock.
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BYTES);
    private boolean drained;
    /** Whether the message taken last came as a text frame, for {@link #lastReceivedWasText()}. */
    private boolean lastText;
    private boolean endOfStream;
    /** Why the stream ended; the first reason stays. */
    private volatile IOException end;
    /** Why the handshake failed, if it did. */
    private volatile Throwable refusal;
    private volatile boolean open;
    private volatile boolean closeSent;
    private volatile long lastRead = System.nanoTime();
    private volatile Future<?> tending;
    private static final WebSocketCloseStatus CLOSE_STATUS = WebSocketCloseStatus.NORMAL_CLOSURE;

    private WebSocketConnection(WsSettings settings, ReceiveLimits limits, SocketChannel socket, boolean server,
            SslContext tls) throws IOException {
        super(settings.endpoint(), settings.name(), settings.maxFrame());
        this.settings = settings;
        this.socket = socket;
        socket.configureBlocking(false);
        // A wait ends once the connection is closed here or its stream has ended.
        this.readiness = new SocketReadiness(socket, name(), () -> isClosedLocally() || end != null,
                call -> isClosedLocally() ? closedLocally(call) : ended(call));
        this.pipe = new EmbeddedChannel(false, false);
        pipe.config().setAllocator(ALLOCATOR);
        this.peer = String.valueOf(socket.getRemoteAddress());
        MessageMeter meter = new MessageMeter();
        this.guard = new MessageGuard(limits, this, meter, name(), peer);
        FrameHandler last = new FrameHandler(settings, this, peer, meter, server);
        if (server) {
            Pipelines.server(pipe.pipeline(), settings, tls, peer, meter, last);
        } else {
            Pipelines.client(pipe.pipeline(), settings, tls, meter, last);
        }
    }

    /**
     * Does the handshake on {@code socket} as a server, on the calling thread.
     *
     * @param limits   what the connection may cost: its time-outs and its budget
     * @param deadline a {@link System#nanoTime()} value
     * @return the open connection
     * @throws IOException if the peer was refused, went away or was too slow; the socket is then closed
     */
    static WebSocketConnection accept(WsSettings settings, ReceiveLimits limits, SslContext tls, SocketChannel socket,
            long deadline) throws IOException {
        return open(settings, limits, tls, socket, true, deadline);
    }

    /** As {@link #accept}, as a client: the request goes out first. */
    static WebSocketConnection connect(WsSettings settings, ReceiveLimits limits, SslContext tls, SocketChannel socket,
            long deadline) throws IOException {
        return open(settings, limits, tls, socket, false, deadline);
    }

    private static WebSocketConnection open(WsSettings settings, ReceiveLimits limits, SslContext tls,
            SocketChannel socket, boolean server, long deadline) throws IOException {
        WebSocketConnection c;
        try {
            c = new WebSocketConnection(settings, limits, socket, server, tls);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        try {
            c.handshake(deadline);
            c.tending = Keeper.tend(c, c.settings.pingNanos());
            return c;
        } catch (IOException | RuntimeException e) {
            c.dispose();
            throw e;
        }
    }

    private void handshake(long deadline) throws IOException {
        pipeLock.lock();
        try {
            pipe.register();
            drainPipe(true);
        } catch (Exception e) {
            throw new IOException(name() + ": handshake: " + e, e);
        } finally {
            pipeLock.unlock();
        }
        readLock.lock();
        try {
            while (true) {
                if (!flushUntil(deadline, false)) {
                    throw new SocketTimeoutException("the WebSocket handshake did not finish in time");
                }
                if (open) {
                    return;
                }
                if (!pipeOpen() || endOfStream) {
                    throw new IOException(refusal != null ? refusal.getMessage()
                            : "the connection closed before the WebSocket handshake was done", refusal);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("the WebSocket handshake did not finish in time");
                }
                if (readAndFeed("handshake") == 0) {
                    readiness.await(SelectionKey.OP_READ, left, "handshake");
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Writes the outbox until it is empty, waiting for the socket up to {@code deadline}.
     *
     * @param closing whether this is the last flush before the socket closes, which the
     *                stream's end must not stop
     * @return whether everything went out in time
     */
    private boolean flushUntil(long deadline, boolean closing) throws IOException {
        while (true) {
            pipeLock.lock();
            try {
                writeOut("send");
                if (outbox.unwritten() == 0) {
                    return true;
                }
            } finally {
                pipeLock.unlock();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (closing) {
                readiness.awaitWhileClosing(SelectionKey.OP_WRITE, left, "close");
            } else {
                readiness.await(SelectionKey.OP_WRITE, left, "handshake");
            }
        }
    }

    private boolean pipeOpen() {
        pipeLock.lock();
        try {
            return !released && pipe.isOpen();
        } finally {
            pipeLock.unlock();
        }
    }

    /** Writes what the socket takes now. Under pipeLock. */
    private void writeOut(String call) throws IOException {
        try {
            outbox.writeTo(socket);
        } catch (IOException e) {
            throw lost(call, e);
        }
    }

    // ---- from the pipeline (under pipeLock) -------------------------------------------------

    /** The handshake is done. */
    void opened() {
        open = true;
        lastRead = System.nanoTime();
    }

    /** The handshake failed: {@code why} is reported to the caller of connect or accept. */
    void refused(Throwable why) {
        if (refusal == null) {
            refusal = why;
        }
    }

    /** @return whether this side sent its close frame: a close frame from the peer is the answer */
    boolean closeSent() {
        return closeSent;
    }

    /** Queues a message from the peer: a binary or text frame, now this connection's to release. */
    void deliver(WebSocketFrame message) {
        inbox.add(message);
        inboxBytes += message.content().readableBytes();
        INBOXES_BYTES.add(message.content().readableBytes());
    }

    /** Ends the stream after the queued messages, with {@code why}; the first reason stays. */
    void ended(IOException why) {
        if (end == null) {
            end = why;
        }
        readiness.wake();
    }

    // ---- the pipeline and the socket --------------------------------------------------------

    /**
     * Moves what the pipeline made into the outbox. Under pipeLock.
     *
     * @param control whether the protocol made it on its own (pongs, close frames, the
     *                handshake) rather than a sender's message
     */
    private void drainPipe(boolean control) {
        for (Object out; (out = pipe.readOutbound()) != null; ) {
            if (out instanceof ByteBuf bytes) {
                outbox.add(bytes, control);
            } else {
                ReferenceCountUtil.release(out);
            }
        }
    }

    /**
     * After the pipeline ran: its bytes go to the socket as far as it takes them now, and if
     * the pipeline closed (close handshake done, protocol error, refused request), the socket
     * closes once they are out. Under pipeLock.
     */
    private void afterPipe() throws IOException {
        drainPipe(true);
        writeOut("send");
        if (!pipe.isOpen() && open) {
            ended(new ConnectionClosedException("connection closed"));
            if (outbox.unwritten() == 0) {
                closeSocket();
            } else {
                Thread.ofVirtual().name("conduit-ws-close " + name()).start(this::lingerAndCloseSocket);
            }
        }
    }

    /**
     * Reads what the socket has, without waiting, and runs it through the pipeline. Under
     * readLock.
     *
     * @return the bytes read, or -1 at the end of the stream
     */
    private int readAndFeed(String call) throws IOException {
        readBuffer.clear();
        int n;
        try {
            n = socket.read(readBuffer);
        } catch (IOException e) {
            throw lost(call, e);
        }
        drained = readBuffer.hasRemaining();
        if (n < 0) {
            endOfStream = true;
            ended(new ConnectionClosedException("connection closed by peer"));
            closeSocket();
            return n;
        }
        if (n == 0) {
            return 0;
        }
        lastRead = System.nanoTime();
        readBuffer.flip();
        long held;
        pipeLock.lock();
        try {
            if (released || !pipe.isOpen()) {
                return n;
            }
            ByteBuf bytes = ALLOCATOR.heapBuffer(n);
            bytes.writeBytes(readBuffer);
            try {
                pipe.writeInbound(bytes);
            } catch (RuntimeException e) {
                // Handlers report their errors themselves; what reaches here is a bug or a broken peer.
                ended(new IOException("connection failed: " + e, e));
                pipe.close();
            }
            afterPipe();
            disconnectIfAnswersUnread();
            held = guard.fed(lastRead);
        } finally {
            pipeLock.unlock();
        }
        // Not under pipeLock: past the budget, another connection may be closed, which takes its own.
        guard.account(held);
        return n;
    }

    /** @return the exception for {@code call}, whose socket failed with {@code e}; the stream ends */
    private IOException lost(String call, IOException e) {
        if (isClosedLocally()) {
            return closedLocally(call);
        }
        ended(new ConnectionClosedException("connection lost" + (e.getMessage() == null ? "" : ": "
                + e.getMessage()), e));
        closeSocket();
        return ended(call);
    }

    /**
     * A peer that sends control frames (pings, say) and reads none of the answers would have
     * them queue here without end: a ping flood grew a server's heap by gigabytes. Answers count
     * against the outbox like data, and past {@link #OUTBOX_LIMIT} the peer is disconnected, not
     * buffered. Data a slow peer has yet to read does not count: {@code send} waits for that.
     * Under pipeLock.
     */
    private void disconnectIfAnswersUnread() {
        long waiting = outbox.controlCharge();
        if (waiting <= OUTBOX_LIMIT || end != null) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "{0}: {1} sends control frames but reads none of the answers: {2}"
                + " bytes of pongs and close answers wait for it (limit {3}); disconnected", name(), peer,
                Long.toString(waiting), Integer.toString(OUTBOX_LIMIT));
        ended(new ConnectionClosedException("disconnected: the peer sent pings but read none of the pongs ("
                + waiting + " bytes waited, limit " + OUTBOX_LIMIT + ")"));
        closeSocket();
    }

    /**
     * Closes the socket, drops what waited to be written (it can go nowhere now) and ends
     * whoever waits on it; the connection object stays for its inbox.
     */
    private void closeSocket() {
        guard.release();
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more can be done with a socket that fails to close.
        }
        pipeLock.lock();
        try {
            outbox.clear();
        } finally {
            pipeLock.unlock();
        }
        // A channel registered with a selector is only shut for output until the selector lets it
        // go, so the peer could go on sending into it: closing the selectors closes the socket now,
        // and whoever waits on them leaves with the connection's end.
        readiness.close();
    }

    private void lingerAndCloseSocket() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        sendLock.lock();
        try {
            flushUntil(deadline, true);
        } catch (IOException e) {
            // Closing anyway; the peer sees the connection end.
        } finally {
            sendLock.unlock();
            closeSocket();
        }
    }

    // ---- receiving --------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        ByteBuf message = next(waitNanos);
        if (message == null) {
            return null;
        }
        pipeLock.lock();
        try {
            if (released) {
                message.release();
                throw closedLocally("receive");
            }
            lent = message;
        } finally {
            pipeLock.unlock();
        }
        return message.nioBuffer().asReadOnlyBuffer();
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        ByteBuf message = next(waitNanos);
        if (message == null) {
            return null;
        }
        try {
            return ByteBufUtil.getBytes(message);
        } finally {
            message.release();
        }
    }

    private ByteBuf next(long waitNanos) throws IOException {
        long deadline = waitNanos > 0 ? System.nanoTime() + waitNanos : 0;
        // A non-blocking call reads once whatever the last read found: bytes may have come since.
        boolean readOnce = waitNanos == 0;
        readLock.lock();
        try {
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                ByteBuf message = takeQueued();
                if (message != null) {
                    return message;
                }
                if (end != null) {
                    throw ended("receive");
                }
                if (!drained || readOnce) {
                    readOnce = false;
                    if (readAndFeed("receive") != 0) {
                        continue;
                    }
                }
                if (waitNanos == 0) {
                    return null;
                }
                long left = waitNanos < 0 ? 0 : deadline - System.nanoTime();
                if (waitNanos > 0 && left <= 0) {
                    return null;
                }
                if (!spin(waitNanos, deadline)) {
                    readiness.await(SelectionKey.OP_READ, left, "receive");
                }
                drained = false;
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * {@inheritDoc} Here, whether the message came in text frames (opcode 1) rather than binary
     * ones (opcode 2).
     */
    @Override
    public boolean lastReceivedWasText() {
        return lastText;
    }

    /**
     * @return the next queued message, now the caller's to release (noting whether it came as
     *         text); gives back the one lent before. Called under {@code readLock}.
     */
    private ByteBuf takeQueued() {
        pipeLock.lock();
        try {
            if (lent != null) {
                lent.release();
                lent = null;
            }
            WebSocketFrame frame = inbox.poll();
            if (frame == null) {
                return null;
            }
            ByteBuf message = frame.content();
            inboxBytes -= message.readableBytes();
            INBOXES_BYTES.add(-message.readableBytes());
            lastText = frame instanceof TextWebSocketFrame;
            return message;
        } finally {
            pipeLock.unlock();
        }
    }

    /**
     * Looks for bytes without sleeping for up to {@code ?spin=}, so a reply that comes within
     * it costs no wake-up. Not on virtual threads, whose carrier would be held.
     *
     * @return whether the socket became readable
     */
    private boolean spin(long waitNanos, long deadline) throws IOException {
        long spinNanos = settings.spinNanos();
        if (spinNanos == 0 || Thread.currentThread().isVirtual()) {
            return false;
        }
        // ?spin=forever is Long.MAX_VALUE: half of it is still centuries, and cannot overflow.
        long until = System.nanoTime() + Math.min(spinNanos, Long.MAX_VALUE / 2);
        if (waitNanos > 0 && deadline - until < 0) {
            until = deadline;
        }
        return readiness.spinUntilReadable(until, "receive");
    }

    /** @return the end of the stream for {@code call}, a new exception with the first cause */
    private IOException ended(String call) {
        IOException why = end;
        if (why instanceof FrameTooLongException tooLong) {
            return new FrameTooLongException(name() + ": " + call, tooLong.length(), tooLong.maximum());
        }
        if (why == null) {
            return new ConnectionClosedException(name() + ": " + call + ": connection closed");
        }
        return new ConnectionClosedException(name() + ": " + call + ": " + why.getMessage(), why.getCause());
    }

    // ---- sending ----------------------------------------------------------------------------

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        // send returns only once the frame is written, so it may lend the caller's array to the
        // pipeline; the other modes may leave the frame queued after they return.
        ByteBuf content;
        int length = (int) message.byteSize();
        if (mode == SendMode.SEND && message.heapBase().orElse(null) instanceof byte[] array) {
            content = Unpooled.wrappedBuffer(array, (int) message.address(), length);
        } else {
            content = ALLOCATOR.heapBuffer(length);
            MemorySegment.copy(message, ValueLayout.JAVA_BYTE, 0, content.array(), content.arrayOffset(), length);
            content.writerIndex(length);
        }
        return sendFrame(new BinaryWebSocketFrame(content), mode);
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
        checkSendLength(mode, utf8.length);
        return sendFrame(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8)), mode);
    }

    private boolean sendFrame(WebSocketFrame frame, SendMode mode) throws IOException {
        boolean locked = mode == SendMode.TRY_SEND ? sendLock.tryLock() : lockToSend(frame, mode);
        if (!locked) {
            frame.release();
            return false;
        }
        long last;
        boolean allOut;
        try {
            while (true) {
                pipeLock.lock();
                try {
                    checkSendable(mode.call());
                    // Queued bytes go out first only when they stand in the way: write batches them.
                    if (outbox.unwritten() >= (mode == SendMode.TRY_SEND ? 1 : OUTBOX_LIMIT)) {
                        writeOut(mode.call());
                    }
                    long waiting = outbox.unwritten();
                    if (mode == SendMode.TRY_SEND ? waiting == 0 : waiting < OUTBOX_LIMIT) {
                        pipe.writeOneOutbound(frame);
                        pipe.flushOutbound();
                        frame = null;
                        drainPipe(false);
                        last = outbox.added();
                        if (mode != SendMode.WRITE || outbox.unwritten() >= WRITE_BATCH_BYTES) {
                            writeOut(mode.call());
                        }
                        allOut = outbox.written() >= last;
                        break;
                    }
                    if (mode == SendMode.TRY_SEND) {
                        return false;
                    }
                } finally {
                    pipeLock.unlock();
                }
                readiness.await(SelectionKey.OP_WRITE, 0, mode.call());
            }
            if (mode == SendMode.SEND && !allOut) {
                awaitWritten(last, mode.call());
            } else if (mode == SendMode.TRY_SEND && !allOut) {
                Thread.ofVirtual().name("conduit-ws-flush " + name()).start(this::flushInBackground);
            }
            return true;
        } finally {
            if (frame != null) {
                frame.release();
            }
            sendLock.unlock();
        }
    }

    private boolean lockToSend(WebSocketFrame frame, SendMode mode) throws IOException {
        try {
            sendLock.lockInterruptibly();
            return true;
        } catch (InterruptedException e) {
            frame.release();
            Thread.currentThread().interrupt();
            throw interrupted(mode.call());
        }
    }

    /**
     * Waits until the outbox has written its first {@code end} bytes. Under sendLock.
     *
     * @throws IOException if the connection ended first: its bytes were dropped, never sent
     */
    private void awaitWritten(long end, String call) throws IOException {
        while (true) {
            pipeLock.lock();
            try {
                if (outbox.delivered(end)) {
                    return;
                }
                checkSendable(call);
                writeOut(call);
                if (outbox.delivered(end)) {
                    return;
                }
            } finally {
                pipeLock.unlock();
            }
            readiness.await(SelectionKey.OP_WRITE, 0, call);
        }
    }

    private void flushInBackground() {
        sendLock.lock();
        try {
            if (!isClosedLocally()) {
                pipeLock.lock();
                long added;
                try {
                    added = outbox.added();
                } finally {
                    pipeLock.unlock();
                }
                awaitWritten(added, "trySend");
            }
        } catch (IOException e) {
            // The next send reports the broken connection; nothing here can.
        } finally {
            sendLock.unlock();
        }
    }

    /** Under pipeLock. */
    private void checkSendable(String call) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
        if (end != null || released || !pipe.isOpen()) {
            throw ended(call);
        }
    }

    @Override
    protected void flushWritten() throws IOException {
        sendLock.lock();
        try {
            pipeLock.lock();
            long added;
            try {
                checkSendable("flush");
                added = outbox.added();
            } finally {
                pipeLock.unlock();
            }
            awaitWritten(added, "flush");
        } finally {
            sendLock.unlock();
        }
    }

    // ---- the keeper -------------------------------------------------------------------------

    /**
     * The keeper's round: reads what came if no one is receiving (so pings get pongs and close
     * frames answers), pings, ends the connection if the peer was silent too long, and writes
     * what was left in the outbox. Never waits.
     */
    void tend() {
        if (isClosedLocally() || !socket.isOpen()) {
            // Over: the rounds stop even if the application never closes the connection.
            stopTending();
            if (!socket.isOpen()) {
                // Not while a close lingers for the peer's close frame: the pipeline reads it.
                freePipe();
            }
            return;
        }
        try {
            tendOnce();
        } catch (RuntimeException e) {
            // A round that fails must not end the keeper's schedule for this connection silently.
            ended(new IOException("connection failed: " + e, e));
            closeSocket();
        }
    }

    private void tendOnce() {
        boolean paused = false;
        if (readLock.tryLock()) {
            try {
                while (!endOfStream && end == null && !inboxFull() && !drained) {
                    if (readAndFeed("receive") == 0) {
                        break;
                    }
                }
                if (inboxFull()) {
                    // Not reading, so not hearing: the peer's silence says nothing.
                    lastRead = System.nanoTime();
                    paused = true;
                }
                drained = false;
            } catch (IOException e) {
                // The stream has ended with its reason; a receiver will see it.
            } finally {
                readLock.unlock();
            }
        }
        long now = System.nanoTime();
        pipeLock.lock();
        try {
            if (released || end != null || !pipe.isOpen()) {
                return;
            }
            pipe.runScheduledPendingTasks();
            if (paused) {
                guard.paused(now);
            }
            MessageGuard.Overdue overdue = guard.overdue(now);
            if (overdue != null) {
                shut(overdue.status(), overdue.why());
                return;
            }
            if (settings.pingNanos() > 0) {
                long silent = now - lastRead;
                if (silent > settings.pingTimeoutNanos()) {
                    String why = "the peer sent nothing, not even a pong, for " + TimeUnit.NANOSECONDS.toMillis(silent)
                            + " ms (pingTimeout " + TimeUnit.NANOSECONDS.toMillis(settings.pingTimeoutNanos()) + " ms)";
                    LOG.log(System.Logger.Level.INFO, "{0}: {1}: {2}; closed", name(), peer, why);
                    ended(new ConnectionClosedException("connection lost: " + why));
                    closeSocket();
                    return;
                }
                if (now - lastPing >= settings.pingNanos()) {
                    lastPing = now;
                    pipe.writeAndFlush(new PingWebSocketFrame());
                }
            }
            afterPipe();
        } catch (IOException e) {
            // As above.
        } finally {
            pipeLock.unlock();
        }
    }

    /**
     * Ends the connection from this side because a limit was reached: the peer gets a close frame
     * with {@code status} if the socket takes it now, the pipeline closes (freeing what it held
     * of a partial message), then the socket. Never waits for a lock, as the receive budget calls
     * it from other connections' threads: if the pipeline is busy, the keeper frees it next round.
     *
     * @param why what the receiver is told, after {@code NAME: CALL: }
     */
    void shut(WebSocketCloseStatus status, String why) {
        ended(new ConnectionClosedException(why));
        if (pipeLock.tryLock()) {
            try {
                if (!released && pipe.isOpen()) {
                    closeSent = true;
                    pipe.writeAndFlush(new CloseWebSocketFrame(status));
                    drainPipe(true);
                    outbox.writeTo(socket);
                }
            } catch (IOException e) {
                // Closing anyway.
            } finally {
                pipeLock.unlock();
            }
        }
        freePipe();
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more can be done with a socket that fails to close.
        }
        guard.release();
        // A channel registered with a selector is only shut for output until the selector lets it
        // go: the peer could go on sending into it. Closing the selectors closes the socket now.
        readiness.close();
    }

    /** Once the socket is closed: closes the pipeline if no one uses it, so its handlers free what they gathered. */
    private void freePipe() {
        if (!pipeLock.tryLock()) {
            return;
        }
        try {
            outbox.clear();
            if (!released && pipe.isOpen()) {
                pipe.close();
            }
        } catch (RuntimeException e) {
            // A handler's error at the pipeline's end: nothing is left to tell.
        } finally {
            pipeLock.unlock();
        }
    }

    private void stopTending() {
        Future<?> t = tending;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** @return whether the keeper should read no more for this connection now */
    private boolean inboxFull() {
        long queued;
        pipeLock.lock();
        try {
            queued = inboxBytes;
        } finally {
            pipeLock.unlock();
        }
        return queued >= HIGH_WATER_BYTES || queued > 0 && INBOXES_BYTES.sum() >= INBOXES_BUDGET_BYTES;
    }

    // ---- closing ----------------------------------------------------------------------------

    /** {@link #close()}, for callers with no one to tell of a failure; it cannot fail anyway. */
    void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // closeTransport throws nothing.
        }
    }

    @Override
    protected void closeTransport() {
        long deadline = System.nanoTime() + CLOSE_LINGER_NANOS;
        stopTending();
        // Receivers and senders waiting on the socket see the close and leave.
        readiness.wake();
        try {
            if (sendLock.tryLock(CLOSE_LINGER_NANOS, TimeUnit.NANOSECONDS)) {
                try {
                    pipeLock.lock();
                    try {
                        if (!released && pipe.isOpen() && end == null && socket.isOpen()) {
                            closeSent = true;
                            pipe.writeAndFlush(new CloseWebSocketFrame(CLOSE_STATUS));
                            drainPipe(true);
                        }
                    } finally {
                        pipeLock.unlock();
                    }
                    // Until the deadline, so an orderly close loses nothing.
                    flushUntil(deadline, true);
                } catch (IOException e) {
                    // Closing anyway; the peer sees the connection end.
                } finally {
                    sendLock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closeSent && socket.isOpen()) {
            // The peer answers when it next reads, which may be at its keeper's next round:
            // wait for that in the background, so close() returns as soon as our bytes are out.
            Thread.ofVirtual().name("conduit-ws-close " + name()).start(() -> {
                readLock.lock();
                try {
                    lingerForPeersClose(deadline);
                } finally {
                    readLock.unlock();
                    dispose();
                }
            });
        } else {
            dispose();
        }
    }

    /**
     * Reads until the peer's close frame comes (the pipeline then closes) or {@code deadline}:
     * closing with the peer's last frames unread would make the kernel reset the connection,
     * and the peer would lose our close frame (a browser then reports 1006).
     */
    private void lingerForPeersClose(long deadline) {
        try {
            while (pipeOpen() && !endOfStream && socket.isOpen()) {
                if (readAndFeed("close") == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    readiness.awaitWhileClosing(SelectionKey.OP_READ, left, "close");
                }
            }
        } catch (IOException e) {
            // Closing anyway.
        }
    }

    /** Closes the socket and frees the pipeline's buffers. */
    private void dispose() {
        closeSocket();
        readiness.close();
        pipeLock.lock();
        try {
            if (!released) {
                released = true;
                try {
                    pipe.finishAndReleaseAll();
                } catch (RuntimeException e) {
                    // An error a handler kept for the pipeline's end: nothing is left to tell.
                }
                outbox.clear();
                for (WebSocketFrame b; (b = inbox.poll()) != null; ) {
                    b.release();
                }
                INBOXES_BYTES.add(-inboxBytes);
                inboxBytes = 0;
                // A view of it that the application still holds after close shows other bytes
                // from now on; the alternative, never giving it back, would leak the pool.
                if (lent != null) {
                    lent.release();
                    lent = null;
                }
            }
        } finally {
            pipeLock.unlock();
        }
    }
}
