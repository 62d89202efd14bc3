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
import dev.conduit.internal.Options;
import dev.conduit.internal.Payloads;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A connection speaking the session protocol ({@link SessionProtocol}) over a raw one. There is
 * no reader thread between the socket and the caller: whoever waits for a frame reads it
 * ({@link Inbound}), messages and requests go to inboxes (which fill up and then stop the
 * reading, so a slow application still pushes back on its peer), acknowledgements and replies
 * wake whoever waits for them, pings are answered. A sender waiting for its acknowledgement reads
 * too, so an acknowledged {@code send} completes even while this side's application is not
 * receiving.
 *
 * <p>With {@code ?ack=true}, {@code send} waits until the peer's application has taken the
 * message: until its {@code receive} returned it, or its {@code poll} or {@code onMessage} handed
 * it over. {@code write} and {@code trySend} never wait for that.
 */
public final class SessionConnection extends AbstractConnection {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    private final Connection raw;
    private final Inbound inbound;
    private final boolean acknowledged;
    private final long ackTimeoutNanos;
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong nextRequest = new AtomicLong();
    private final AtomicReference<Thread> serving = new AtomicReference<>();
    private final SubjectState subjects = new SubjectState();
    /** The receiving thread's last frame handed over, for {@link #lastSubject()}. */
    private byte[] lastFrame;

    private SessionConnection(Endpoint endpoint, Connection raw, Resumptions resumptions) {
        super(endpoint, endpoint.toString(), Options.maxFrame(endpoint));
        this.raw = raw;
        this.inbound = new Inbound(name, raw, resumptions, subjects);
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
        return open(endpoint, raw, null, 0);
    }

    /**
     * As {@link #open(Endpoint, Connection)}, for a session that may come back on a new
     * connection ({@code ?reconnect=true&ack=true}).
     *
     * @param endpoint    the endpoint as the user wrote it, session options included
     * @param raw         a fresh raw connection; owned from now on (closed if the handshake fails)
     * @param resumptions a listener's sessions, which a client's RESUME names; null on a client
     * @param resumeId    on a client, the session to name in a RESUME (its acknowledged messages
     *                    then go with {@link #sendNumbered}); 0 for none
     * @throws IOException as {@link #open(Endpoint, Connection)}
     */
    public static SessionConnection open(Endpoint endpoint, Connection raw, Resumptions resumptions, long resumeId)
            throws IOException {
        try {
            raw.send(SessionProtocol.hello());
            byte[] first = raw.receive(HANDSHAKE_TIMEOUT);
            String problem = first == null ? "no hello from the peer within " + text(HANDSHAKE_TIMEOUT)
                    + "; both ends need ?protocol=conduit" : SessionProtocol.checkHello(first);
            if (problem != null) {
                throw new IOException(endpoint + ": session handshake: " + problem);
            }
            if (resumeId != 0) {
                raw.send(SessionProtocol.frame(SessionProtocol.RESUME, resumeId, 0));
            }
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        SessionConnection session = new SessionConnection(endpoint, raw, resumptions);
        // Virtual: it reads only while no caller does, where a wake-up's cost does not matter, and a
        // platform keeper on the process's CPU cost the acknowledged-send rows throughput in the bench.
        Thread.ofVirtual().name("conduit-session " + endpoint).start(session.inbound::keep);
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

    /** Pings every {@code interval}; ends the connection after {@code silence} without a frame. */
    private void beat(long interval, long silence) {
        long nonce = 0;
        while (!isClosedLocally()) {
            LockSupport.parkNanos(interval);
            if (System.nanoTime() - inbound.heardAt() > silence) {
                inbound.end(new ConnectionClosedException(name + ": no sign of life from the peer for "
                        + text(Duration.ofNanos(silence)) + " (heartbeat)"));
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
        long wait = waitNanos == NEXT_IN_POLL ? 0 : waitNanos;
        long deadline = System.nanoTime() + Math.max(0, wait);
        while (true) {
            byte[] frame = inbound.await(Inbound.Want.MESSAGE, 0, wait, "receive");
            if (frame == null) {
                return null;
            }
            long seq = SessionProtocol.number(frame);
            Resumptions.Resumed.Joined resumed = inbound.resumed();
            if (seq != 0 && resumed != null && !resumed.session().take(seq, resumed.generation())) {
                // A copy of this message came again on a newer connection of the session, or was
                // taken from one: that one is delivered, this one skipped.
                wait = wait <= 0 ? wait : Math.max(1, deadline - System.nanoTime());
                continue;
            }
            boolean subject = frame[0] == SessionProtocol.PUBLISH;
            if (seq != 0) {
                acknowledge(seq);
            }
            if (subject && !subjects.takes(frame)) {
                // Sent before the peer read this side's last SUBSCRIBE, which it does not match.
                wait = wait <= 0 ? wait : Math.max(1, deadline - System.nanoTime());
                continue;
            }
            lastFrame = subject ? frame : null;
            int at = subject ? Subjects.messageOffset(frame) : SessionProtocol.HEADER;
            return ByteBuffer.wrap(frame, at, frame.length - at).slice().asReadOnlyBuffer();
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
        return sendData(wait ? nextSeq.incrementAndGet() : 0, payload, offset, length, mode);
    }

    /**
     * An acknowledged {@code send} whose sequence number the caller chose: the reconnecting layer
     * above a resumed session sends a message again under the number it first had, so the
     * listener can tell the copy from a new message. Blocks until the acknowledgement comes.
     * Any thread.
     *
     * @param seq a number of this session's own series, never 0
     * @throws FrameTooLongException if the message is longer than {@code maxFrame}; nothing is sent
     * @throws AckTimeoutException   if no acknowledgement came within {@code ackTimeout}
     * @throws IOException           as {@code send}
     */
    public void sendNumbered(long seq, MemorySegment message) throws IOException {
        if (message.byteSize() > maxFrame) {
            throw new FrameTooLongException(name + ": send", message.byteSize(), maxFrame);
        }
        if (isClosedLocally()) {
            throw closedLocally("send");
        }
        sendData(seq, null, message, 0, message.byteSize(), SendMode.SEND);
    }

    private boolean sendData(long seq, Object payload, int offset, long length, SendMode mode) throws IOException {
        return sendData(seq, null, payload, offset, length, mode);
    }

    /** @param subject the subject as UTF-8 for a PUBLISH, or null for a DATA */
    private boolean sendData(long seq, byte[] subject, Object payload, int offset, long length, SendMode mode)
            throws IOException {
        boolean wait = seq != 0;
        byte[] frame;
        if (subject == null) {
            frame = SessionProtocol.frame(SessionProtocol.DATA, seq, (int) length);
            Payloads.copy(payload, offset, 0, frame, SessionProtocol.HEADER, (int) length);
        } else {
            frame = SessionProtocol.frame(SessionProtocol.PUBLISH, seq, 1 + subject.length + (int) length);
            frame[SessionProtocol.HEADER] = (byte) subject.length;
            System.arraycopy(subject, 0, frame, SessionProtocol.HEADER + 1, subject.length);
            Payloads.copy(payload, offset, 0, frame, SessionProtocol.HEADER + 1 + subject.length, (int) length);
        }
        if (wait) {
            inbound.expect(Inbound.Want.ACK, seq);
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
            if (wait) {
                inbound.forget(Inbound.Want.ACK, seq);
            }
            throw e;
        }
        if (wait) {
            await(Inbound.Want.ACK, seq, ackTimeoutNanos, "send", "no acknowledgement of message " + seq);
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
        inbound.expect(Inbound.Want.REPLY, id);
        try {
            raw.send(frame);
        } catch (IOException | RuntimeException e) {
            inbound.forget(Inbound.Want.REPLY, id);
            throw e;
        }
        return await(Inbound.Want.REPLY, id, toWaitNanos(timeout), "request", "no reply to request " + id);
    }

    /** Waits for an acknowledgement or a reply registered with {@link Inbound#expect}, and forgets it if none comes. */
    private byte[] await(Inbound.Want want, long number, long nanos, String call, String what) throws IOException {
        byte[] answer = null;
        try {
            answer = inbound.await(want, number, nanos, call);
        } finally {
            if (answer == null) {
                inbound.forget(want, number);
            }
        }
        if (answer == null) {
            throw new AckTimeoutException(name + ": " + call + ": " + what + " within "
                    + text(Duration.ofNanos(nanos)));
        }
        return answer;
    }

    // ---- subjects ---------------------------------------------------------------------------

    @Override
    public void subscribe(String... prefixes) throws IOException {
        String where = name + ": subscribe";
        byte[] frame = Subjects.subscribeFrame(where, (long) maxFrame + SessionProtocol.HEADER, prefixes.clone());
        byte[][] set = Subjects.prefixes(frame);
        if (!peerKnowsSubjects("subscribe")) {
            throw new UnsupportedOperationException(where + ": the peer's session protocol has no subjects (an older"
                    + " Conduit): it would send every message all the same; nothing was sent");
        }
        subjects.subscribe(set, () -> raw.send(frame));
    }

    @Override
    public boolean publish(String subject, byte[] message) throws IOException {
        return publish(acknowledged ? nextSeq::incrementAndGet : () -> 0, subject, MemorySegment.ofArray(message));
    }

    /**
     * A publish whose acknowledgement's number the caller chooses, as {@link #sendNumbered}. Any
     * thread; blocks as an acknowledged {@code send}.
     *
     * @param seq gives the number, never 0, once the message is to go out (not for one the peer's
     *            subscription passes over)
     * @return whether the message went to the peer: false if its subscription does not match the subject
     * @throws IOException as {@link #publish(String, byte[])}
     */
    public boolean publish(LongSupplier seq, String subject, MemorySegment message) throws IOException {
        byte[] utf8 = Subjects.encode(name + ": publish", subject);
        // A peer without subjects gets a DATA: it cannot have subscribed, so it wants everything.
        byte[] carried = peerKnowsSubjects("publish") ? utf8 : null;
        if (carried != null && !subjects.peerWants(utf8)) {
            return false;
        }
        long size = message.byteSize();
        long length = carried == null ? size : 1 + carried.length + size;
        return transmitOwn(length, SendMode.SEND,
                () -> sendData(seq.getAsLong(), carried, message, 0, size, SendMode.SEND));
    }

    @Override
    public String lastSubject() {
        byte[] frame = lastFrame;
        return frame == null ? null : Subjects.subject(frame);
    }

    /** @return whether the peer knows subjects: it subscribed, or said so when asked (once, a round trip) */
    private boolean peerKnowsSubjects(String call) throws IOException {
        if (isClosedLocally()) {
            throw closedLocally(call);
        }
        if (!subjects.peerSaid()) {
            if (subjects.startProbe()) {
                try {
                    raw.send(SessionProtocol.frame(SessionProtocol.PING, Subjects.PROBE, 0));
                } catch (IOException | RuntimeException e) {
                    subjects.probeFailed();
                    throw e;
                }
            }
            if (inbound.await(Inbound.Want.FEATURES, 0, HANDSHAKE_TIMEOUT.toNanos(), call) == null) {
                throw new AckTimeoutException(name + ": " + call + ": the peer did not say within "
                        + text(HANDSHAKE_TIMEOUT) + " whether it knows subjects");
            }
        }
        return subjects.peerKnows();
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
                byte[] frame = inbound.await(Inbound.Want.REQUEST, 0, FOREVER, "onRequest");
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
        inbound.closeConsumer();
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
