package dev.conduit.internal.session;

import dev.conduit.AckTimeoutException;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.PeerCredentials;
import dev.conduit.Reply;
import dev.conduit.RequestHandler;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.Options;
import dev.conduit.internal.Payloads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A connection speaking the session protocol ({@link SessionProtocol}) over a raw one. A reader
 * on a platform thread of its own takes every frame as it comes (on a virtual thread it could
 * not spin, and its wake-ups through the scheduler took a round trip from about 20 to 50 µs): messages and requests go to inboxes (which
 * fill up and then stop the reader, so a slow application still pushes back on its peer),
 * acknowledgements and replies complete whoever waits for them, pings are answered. So an
 * acknowledged {@code send} completes even while this side's application is not receiving.
 *
 * <p>With {@code ?ack=true}, {@code send} waits until the peer's application has taken the
 * message: until its {@code receive} returned it, or its {@code poll} or {@code onMessage} handed
 * it over. {@code write} and {@code trySend} never wait for that.
 */
public final class SessionConnection extends AbstractConnection {
    private static final long INBOX_BYTES = 4L << 20;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    private final Connection raw;
    private final Inbox messages;
    private final Inbox requests;
    private final boolean acknowledged;
    private final long ackTimeoutNanos;
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong nextRequest = new AtomicLong();
    private final Map<Long, CompletableFuture<Void>> acks = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<byte[]>> replies = new ConcurrentHashMap<>();
    private final AtomicReference<Thread> serving = new AtomicReference<>();
    private volatile long heardAt = System.nanoTime();

    private SessionConnection(Endpoint endpoint, Connection raw) {
        super(endpoint, endpoint.toString(), Options.maxFrame(endpoint));
        this.raw = raw;
        this.messages = new Inbox(name, INBOX_BYTES);
        this.requests = new Inbox(name, INBOX_BYTES);
        this.acknowledged = SessionProtocol.acknowledged(endpoint);
        this.ackTimeoutNanos = SessionProtocol.ackTimeoutNanos(endpoint);
    }

    /**
     * Makes the handshake on {@code raw}, then starts the session. Blocks until the peer's hello
     * arrives, at most 5 s.
     *
     * @param endpoint the endpoint as the user wrote it, session options included
     * @param raw      a fresh raw connection; owned from now on (closed if the handshake fails)
     * @throws IOException naming the endpoint if the peer does not speak the protocol, speaks
     *                     another version, or says nothing in time
     */
    public static SessionConnection open(Endpoint endpoint, Connection raw) throws IOException {
        try {
            raw.send(SessionProtocol.hello());
            byte[] first = raw.receive(HANDSHAKE_TIMEOUT);
            String problem = first == null ? "no hello from the peer within " + text(HANDSHAKE_TIMEOUT)
                    + "; both ends need ?protocol=conduit" : SessionProtocol.checkHello(first);
            if (problem != null) {
                throw new IOException(endpoint + ": session handshake: " + problem);
            }
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        SessionConnection session = new SessionConnection(endpoint, raw);
        Thread.ofPlatform().daemon().name("conduit-session " + endpoint).start(session::read);
        long heartbeat = SessionProtocol.heartbeatNanos(endpoint);
        if (heartbeat > 0) {
            long silence = SessionProtocol.heartbeatTimeoutNanos(endpoint, heartbeat);
            Thread.ofVirtual().name("conduit-heartbeat " + endpoint).start(() -> session.beat(heartbeat, silence));
        }
        return session;
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return raw.peerCredentials();
    }

    // ---- the reader -------------------------------------------------------------------------

    private void read() {
        IOException end;
        try {
            while (true) {
                byte[] frame = raw.receive();
                heardAt = System.nanoTime();
                dispatch(frame);
            }
        } catch (IOException e) {
            end = e;
        } catch (InterruptedException e) {
            end = new ConnectionClosedException(name + ": the session's reader was interrupted");
        }
        messages.closeProducer(end);
        requests.closeProducer(end);
        ConnectionClosedException closed = new ConnectionClosedException(name + ": the connection ended: "
                + end.getMessage(), end);
        acks.values().forEach(f -> f.completeExceptionally(closed));
        replies.values().forEach(f -> f.completeExceptionally(closed));
    }

    private void dispatch(byte[] frame) throws IOException, InterruptedException {
        byte type = frame.length == 0 ? -1 : frame[0];
        boolean numbered = type >= SessionProtocol.DATA && type <= SessionProtocol.PONG;
        if (!numbered || frame.length < SessionProtocol.HEADER) {
            throw protocolError(frame.length == 0 ? "an empty frame" : type == SessionProtocol.HELLO
                    ? "a second hello" : numbered ? "a frame of type " + type + " with " + frame.length + " bytes"
                    : "frame type " + type);
        }
        long number = SessionProtocol.number(frame);
        switch (type) {
            case SessionProtocol.DATA -> messages.put(frame, true);
            case SessionProtocol.REQUEST -> requests.put(frame, true);
            case SessionProtocol.ACK -> complete(acks.remove(number), null);
            case SessionProtocol.REPLY -> complete(replies.remove(number),
                    Arrays.copyOfRange(frame, SessionProtocol.HEADER, frame.length));
            case SessionProtocol.PING -> pong(number);
            default -> {
                // PONG: hearing from the peer was the point.
            }
        }
    }

    private void pong(long number) {
        try {
            raw.send(SessionProtocol.frame(SessionProtocol.PONG, number, 0));
        } catch (IOException e) {
            // A peer that pinged and went away wants no pong, and what it sent before going is
            // still to be read: ending the reader here lost it (found by SessionProtocolFuzzTest).
        }
    }

    private static <T> void complete(CompletableFuture<T> waiter, T value) {
        if (waiter != null) {
            waiter.complete(value);
        }
    }

    private IOException protocolError(String what) throws IOException {
        IOException e = new ConnectionClosedException(name + ": session protocol error: the peer sent " + what);
        raw.close();
        return e;
    }

    /** Pings every {@code interval}; ends the connection after {@code silence} without a frame. */
    private void beat(long interval, long silence) {
        long nonce = 0;
        while (!isClosedLocally()) {
            LockSupport.parkNanos(interval);
            if (System.nanoTime() - heardAt > silence) {
                ConnectionClosedException gone = new ConnectionClosedException(name + ": no sign of life from the"
                        + " peer for " + text(Duration.ofNanos(silence)) + " (heartbeat)");
                messages.closeProducer(gone);
                requests.closeProducer(gone);
                // The raw connection only: this side did not close, the peer went quiet.
                closeRawQuietly();
                return;
            }
            try {
                raw.trySend(SessionProtocol.frame(SessionProtocol.PING, ++nonce, 0));
            } catch (IOException e) {
                return; // The reader sees the end too.
            }
        }
    }

    // ---- receiving --------------------------------------------------------------------------

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        byte[] frame = take(messages, waitNanos == NEXT_IN_POLL ? 0 : waitNanos, "receive");
        if (frame == null) {
            return null;
        }
        long seq = SessionProtocol.number(frame);
        if (seq != 0) {
            acknowledge(seq);
        }
        return ByteBuffer.wrap(frame, SessionProtocol.HEADER, frame.length - SessionProtocol.HEADER).slice()
                .asReadOnlyBuffer();
    }

    private byte[] take(Inbox inbox, long waitNanos, String call) throws IOException {
        try {
            return inbox.take(waitNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(call);
        }
    }

    private void acknowledge(long seq) {
        try {
            raw.send(SessionProtocol.frame(SessionProtocol.ACK, seq, 0));
        } catch (IOException e) {
            // The message is this side's all the same; the peer, gone, waits for no ack.
        }
    }

    // ---- sending ----------------------------------------------------------------------------

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) throws IOException {
        boolean wait = acknowledged && mode == SendMode.SEND;
        long seq = wait ? nextSeq.incrementAndGet() : 0;
        byte[] frame = SessionProtocol.frame(SessionProtocol.DATA, seq, (int) length);
        Payloads.copy(payload, offset, 0, frame, SessionProtocol.HEADER, (int) length);
        CompletableFuture<Void> ack = null;
        if (wait) {
            ack = new CompletableFuture<>();
            acks.put(seq, ack);
        }
        try {
            switch (mode) {
                case SEND -> raw.send(frame);
                case WRITE -> raw.write(frame);
                case TRY_SEND -> {
                    if (!raw.trySend(frame)) {
                        return false;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            acks.remove(seq);
            throw e;
        }
        if (ack != null) {
            await(ack, ackTimeoutNanos, () -> acks.remove(seq), "send", "no acknowledgement of message " + seq);
        }
        return true;
    }

    @Override
    protected void flushWritten() throws IOException {
        raw.flush();
    }

    @Override
    public byte[] request(byte[] request, Duration timeout) throws IOException {
        if (request.length > maxFrame) {
            throw new FrameTooLongException(name + ": request", request.length, maxFrame);
        }
        long id = nextRequest.incrementAndGet();
        byte[] frame = SessionProtocol.frame(SessionProtocol.REQUEST, id, request.length);
        System.arraycopy(request, 0, frame, SessionProtocol.HEADER, request.length);
        CompletableFuture<byte[]> reply = new CompletableFuture<>();
        replies.put(id, reply);
        try {
            raw.send(frame);
        } catch (IOException | RuntimeException e) {
            replies.remove(id);
            throw e;
        }
        return await(reply, toWaitNanos(timeout), () -> replies.remove(id), "request", "no reply to request " + id);
    }

    private <T> T await(CompletableFuture<T> answer, long nanos, Runnable giveUp, String call, String what)
            throws IOException {
        try {
            return answer.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            giveUp.run();
            throw new AckTimeoutException(name + ": " + call + ": " + what + " within "
                    + text(Duration.ofNanos(nanos)));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(name + ": " + call, e.getCause());
        } catch (InterruptedException e) {
            giveUp.run();
            Thread.currentThread().interrupt();
            throw interrupted(call);
        }
    }

    // ---- serving requests --------------------------------------------------------------------

    @Override
    public Thread onRequest(RequestHandler handler, Consumer<? super Throwable> onError) {
        Thread thread = Thread.ofVirtual().name("conduit-onRequest " + name).unstarted(() -> serve(handler, onError));
        if (!serving.compareAndSet(null, thread)) {
            throw new IllegalStateException(name + ": onRequest: requests are already being served");
        }
        thread.start();
        return thread;
    }

    private void serve(RequestHandler handler, Consumer<? super Throwable> onError) {
        Throwable failure;
        try {
            while (true) {
                byte[] frame = take(requests, FOREVER, "onRequest");
                long id = SessionProtocol.number(frame);
                AtomicBoolean answered = new AtomicBoolean();
                Reply reply = bytes -> {
                    if (!answered.compareAndSet(false, true)) {
                        throw new IllegalStateException(name + ": reply: request " + id + " was already answered");
                    }
                    byte[] out = SessionProtocol.frame(SessionProtocol.REPLY, id, bytes.length);
                    System.arraycopy(bytes, 0, out, SessionProtocol.HEADER, bytes.length);
                    raw.send(out);
                };
                handler.onRequest(ByteBuffer.wrap(frame, SessionProtocol.HEADER, frame.length - SessionProtocol.HEADER)
                        .slice().asReadOnlyBuffer(), reply);
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            serving.set(null);
        }
        if (!(failure instanceof ConnectionClosedException && isClosedLocally())) {
            onError.accept(failure);
        }
    }

    // ---- closing ----------------------------------------------------------------------------

    @Override
    protected void closeTransport() throws IOException {
        messages.closeConsumer();
        requests.closeConsumer();
        raw.close();
    }

    private void closeRawQuietly() {
        try {
            raw.close();
        } catch (IOException e) {
            // Ending a connection whose peer is gone: nothing more to report.
        }
    }
}
