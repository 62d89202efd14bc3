package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.TestPeers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the session protocol ({@code ?protocol=conduit}) adds to a connection; {@link SessionTest}
 * runs it, with {@link SubjectContract}, over each two-way transport.
 */
@Timeout(60)
public abstract class SessionContract {
    protected static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> open = new ArrayList<>();
    private TempDir dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        dir.close();
    }

    protected final <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    /** @return a fresh endpoint of the transport under test with {@code options} */
    protected abstract String endpoint(String options);

    /** @return whether a child JVM can reach the transport */
    protected boolean crossesProcesses() {
        return true;
    }

    protected final TempDir dir() {
        return dir;
    }

    /** @return [0] client, [1] server, both with {@code options} */
    protected final Connection[] pair(String options) throws IOException {
        Listener listener = track(Conduit.listen(endpoint(options)));
        Connection client = track(Conduit.connect(listener.endpoint(), WAIT));
        Connection server = track(listener.accept(WAIT));
        return new Connection[] {client, server};
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void anAcknowledgedSendReturnsOnceThePeersApplicationTookTheMessage() throws Exception {
        Connection[] p = pair("protocol=conduit&ack=true");
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                p[0].send("taken?");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThrows(java.util.concurrent.TimeoutException.class, () -> sent.get(200, TimeUnit.MILLISECONDS),
                "send returned before the peer received");
        assertEquals("taken?", p[1].receiveString(WAIT));
        sent.get(10, TimeUnit.SECONDS);
        p[0].write("written");
        p[0].flush();
        assertEquals("written", p[1].receiveString(WAIT), "write does not wait for an acknowledgement");
    }

    @Test
    void anAcknowledgementThatDoesNotComeIsATimeOutAndTheConnectionGoesOn() throws Exception {
        Connection[] p = pair("protocol=conduit&ack=true&ackTimeout=200ms");
        AckTimeoutException e = assertThrows(AckTimeoutException.class, () -> p[0].send("ignored"));
        assertEquals(p[0].endpoint() + ": send: no acknowledgement of message 1 within 200 ms", e.getMessage());
        assertTrue(p[0].isOpen());
        assertEquals("ignored", p[1].receiveString(WAIT));
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
            try {
                p[0].send("second");
            } catch (IOException x) {
                throw new RuntimeException(x);
            }
        });
        assertEquals("second", p[1].receiveString(WAIT));
        second.get(10, TimeUnit.SECONDS);
    }

    @Test
    void manyRequestsInFlightEachGetTheirOwnReplyEvenOutOfOrder() throws Exception {
        Connection[] p = pair("protocol=conduit");
        List<Reply> held = new ArrayList<>();
        List<String> heldText = new ArrayList<>();
        CompletableFuture<Throwable> serverError = new CompletableFuture<>();
        p[1].onRequest((request, reply) -> {
            String text = StandardCharsets.UTF_8.decode(request).toString();
            synchronized (held) {
                held.add(reply);
                heldText.add(text);
                if (held.size() == 8) {
                    for (int i = 7; i >= 0; i--) { // Answers the last first.
                        held.get(i).send(heldText.get(i).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
                    }
                    held.clear();
                    heldText.clear();
                }
            }
        }, serverError::complete);
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String question = "question " + i;
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return text(p[0].request(question.getBytes(StandardCharsets.UTF_8), WAIT));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofVirtual().start(r)));
        }
        for (int i = 0; i < 8; i++) {
            assertEquals("QUESTION " + i, answers.get(i).get(10, TimeUnit.SECONDS));
        }
        assertFalse(serverError.isDone());
    }

    @Test
    void whoeverReadsHandsRepliesAcknowledgementsAndMessagesToTheirOwnCallers() throws Exception {
        // No reader thread: the receiver blocked first reads the reply meant for the requester,
        // and the acknowledgement meant for the sender, and hands each over.
        Connection[] p = pair("protocol=conduit&ack=true");
        CompletableFuture<Throwable> serverError = new CompletableFuture<>();
        p[1].onRequest((request, reply) -> reply.send(text(toArray(request)).toUpperCase(Locale.ROOT)
                .getBytes(StandardCharsets.UTF_8)), serverError::complete);
        CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
            try {
                return p[0].receiveString(WAIT);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> received.get(100, TimeUnit.MILLISECONDS));
        assertEquals("QUESTION", text(p[0].request("question".getBytes(StandardCharsets.UTF_8), WAIT)));
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                p[0].send("to the server");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        assertEquals("to the server", p[1].receiveString(WAIT));
        sent.get(10, TimeUnit.SECONDS);
        assertFalse(received.isDone(), "the receiver got something not meant for it");
        p[1].send("to the client");
        assertEquals("to the client", received.get(10, TimeUnit.SECONDS));
        assertFalse(serverError.isDone());
    }

    private static byte[] toArray(java.nio.ByteBuffer view) {
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    @Test
    void aReplyThatDoesNotComeIsATimeOutAndAReplyGoesOnlyOnce() throws Exception {
        Connection[] p = pair("protocol=conduit");
        CompletableFuture<Throwable> twice = new CompletableFuture<>();
        p[1].onRequest((request, reply) -> {
            if (request.remaining() == 1) {
                reply.send(new byte[] {1});
                try {
                    reply.send(new byte[] {2});
                } catch (IllegalStateException e) {
                    twice.complete(e);
                }
            }
        }, e -> { });
        AckTimeoutException e = assertThrows(AckTimeoutException.class,
                () -> p[0].request(new byte[] {7, 7}, Duration.ofMillis(200)));
        assertEquals(p[0].endpoint() + ": request: no reply to request 1 within 200 ms", e.getMessage());
        assertEquals(1, p[0].request(new byte[] {0}, WAIT)[0]);
        assertTrue(twice.get(10, TimeUnit.SECONDS).getMessage().endsWith("reply: request 2 was already answered"));
    }

    @Test
    void aRawPeerIsAClearHandshakeError() throws Exception {
        Listener listener = track(Conduit.listen(endpoint("maxFrame=1m")));
        String raw = listener.endpoint().toString();
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
            try {
                track(listener.accept(WAIT)).send("hello from a raw peer");
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        IOException e = assertThrows(IOException.class, () -> Conduit.connect(raw + "&protocol=conduit", WAIT));
        assertEquals(raw + "&protocol=conduit: session handshake: the peer does not speak the session protocol:"
                + " its first message (21 bytes) is not a session hello; both ends need ?protocol=conduit",
                e.getMessage());
        server.get(10, TimeUnit.SECONDS);
    }

    @Test
    void anotherVersionIsNamed() throws Exception {
        IOException e = assertThrows(IOException.class, () -> fakeSessionPeer("conduit-session 2"));
        assertTrue(e.getMessage().endsWith("session handshake: the peer speaks session protocol version 2; this side"
                + " speaks 1"), e.getMessage());
    }

    @Test
    void anUnknownFrameEndsTheSessionWithAProtocolError() throws Exception {
        Connection session = fakeSessionPeer("conduit-session 1", new byte[] {10, 0, 0, 0, 0, 0, 0, 0, 0});
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> session.receive(WAIT));
        assertTrue(e.getMessage().endsWith("session protocol error: the peer sent frame type 10"), e.getMessage());
    }

    @Test
    void whatAPeerSentAfterAPingBeforeLeavingIsStillDelivered() throws Exception {
        // The pong cannot go to a peer that has gone; the message after its ping must still come.
        byte[] data = new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 'a', 'f', 't', 'e', 'r'};
        Connection session = fakeSessionPeer("conduit-session 1", true, new byte[] {5, 0, 0, 0, 0, 0, 0, 0, 7},
                data);
        assertEquals("after", session.receiveString(WAIT));
        assertThrows(ConnectionClosedException.class, () -> session.receive(WAIT));
    }

    @Test
    void aSilentPeerIsFoundByTheHeartbeatAndALiveOneIsNot() throws Exception {
        Connection silent = fakeSessionPeer("conduit-session 1?heartbeat=50ms&heartbeatTimeout=300ms");
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> silent.receive(WAIT));
        assertTrue(e.getMessage().endsWith("no sign of life from the peer for 300 ms (heartbeat)"), e.getMessage());

        Connection[] live = pair("protocol=conduit&heartbeat=50ms&heartbeatTimeout=300ms");
        assertNull(live[0].receive(Duration.ofMillis(700)), "quiet, but alive");
        live[1].send("still here");
        assertEquals("still here", live[0].receiveString(WAIT));
    }

    @Test
    void anIdleSessionStillAnswersPings() throws Exception {
        // No caller reads: the keeper does, once the receive side has stood empty for a while.
        Listener listener = track(Conduit.listen(endpoint("maxFrame=1m")));
        byte[] hello = ("\0conduit-session 1").getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Connection> server = CompletableFuture.supplyAsync(() -> {
            try {
                Connection peer = listener.accept(WAIT);
                peer.send(hello);
                return peer;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        Connection session = track(Conduit.connect(Endpoint.parse(listener.endpoint() + "&protocol=conduit"), WAIT));
        Connection peer = track(server.get(10, TimeUnit.SECONDS));
        assertEquals(hello.length, peer.receive(WAIT).length, "the session's hello");
        for (int nonce = 1; nonce <= 3; nonce++) {
            peer.send(new byte[] {5, 0, 0, 0, 0, 0, 0, 0, (byte) nonce});
            assertArrayEquals(new byte[] {6, 0, 0, 0, 0, 0, 0, 0, (byte) nonce}, peer.receive(WAIT), "pong " + nonce);
        }
        assertTrue(session.isOpen());
    }

    @Test
    void aPeerKilledWithARequestInFlightEndsTheRequest() throws Exception {
        Assumptions.assumeTrue(crossesProcesses(), "no peer process to kill on this transport");
        Listener listener = track(Conduit.listen(endpoint("protocol=conduit")));
        Process child = ChildJvm.start(TestPeers.class, "hold", listener.endpoint().toString());
        try {
            Connection survivor = track(listener.accept(Duration.ofSeconds(30)));
            assertEquals("ready", survivor.receiveString(Duration.ofSeconds(30)));
            CompletableFuture<Throwable> request = CompletableFuture.supplyAsync(() -> {
                try {
                    survivor.request(new byte[] {1}, Duration.ofSeconds(30));
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, r -> Thread.ofVirtual().start(r));
            assertThrows(java.util.concurrent.TimeoutException.class, () -> request.get(200, TimeUnit.MILLISECONDS),
                    "the request ended while the peer lived");
            ChildJvm.kill(child);
            assertInstanceOf(ConnectionClosedException.class, request.get(10, TimeUnit.SECONDS));
        } finally {
            ChildJvm.kill(child);
        }
    }

    @Test
    void aRawConnectionServesNoRequests() throws Exception {
        Connection[] p = pair("maxFrame=1m");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> p[0].request(new byte[1], WAIT));
        assertEquals(p[0].endpoint() + ": request: needs ?protocol=conduit on both ends", e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> p[1].onRequest((r, reply) -> { }, t -> { }));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Conduit.connect(endpoint("ack=true"), WAIT));
        assertTrue(bad.getMessage().endsWith("ack needs protocol=conduit"), bad.getMessage());
    }

    /**
     * A session client connected to a raw server that answers the handshake with {@code hello}
     * (text after the 0 type byte; anything after '?' is the client's options) and then sends
     * {@code frames} and goes silent.
     *
     * @return the client's connection
     */
    protected final Connection fakeSessionPeer(String hello, byte[]... frames) throws Exception {
        return fakeSessionPeer(hello, false, frames);
    }

    /** As {@link #fakeSessionPeer(String, byte[]...)}; if {@code leave}, the peer closes after its frames. */
    protected final Connection fakeSessionPeer(String hello, boolean leave, byte[]... frames) throws Exception {
        String[] parts = hello.split("\\?", 2);
        Listener listener = track(Conduit.listen(endpoint("maxFrame=1m")));
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
            try {
                Connection peer = track(listener.accept(WAIT));
                byte[] text = parts[0].getBytes(StandardCharsets.US_ASCII);
                byte[] frame = new byte[1 + text.length];
                System.arraycopy(text, 0, frame, 1, text.length);
                if (leave) {
                    // The client's hello first, so that it is not sent to a closed peer.
                    peer.receive(WAIT);
                }
                peer.send(frame);
                for (byte[] f : frames) {
                    peer.send(f);
                }
                if (leave) {
                    peer.close();
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Endpoint session = Endpoint.parse(listener.endpoint() + "&protocol=conduit"
                + (parts.length > 1 ? "&" + parts[1] : ""));
        try {
            return track(Conduit.connect(session, WAIT));
        } finally {
            server.get(10, TimeUnit.SECONDS);
        }
    }
}
