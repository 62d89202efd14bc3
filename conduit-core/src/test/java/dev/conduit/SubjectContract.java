package dev.conduit;

import dev.conduit.pattern.Broadcast;
import dev.conduit.pattern.Member;
import dev.conduit.pattern.MemberEvents;
import dev.conduit.pattern.SlowConsumerPolicy;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Subjects on the session protocol ({@link Connection#subscribe}, {@link Connection#publish},
 * {@link Connection#lastSubject}), on top of the session's contract; {@link SessionTest} runs both over
 * each two-way transport.
 */
@Timeout(60)
public abstract class SubjectContract extends SessionContract {
    /** @return the next message's text and subject, "text@subject" (subject null for none) */
    private static String next(Connection c) throws IOException {
        byte[] message = c.receive(WAIT);
        assertTrue(message != null, "a message within " + WAIT);
        return new String(message, StandardCharsets.UTF_8) + "@" + c.lastSubject();
    }

    /** A call that may fail with an {@link IOException}. */
    private interface IoCall<T> {
        T call() throws IOException;
    }

    /** @return {@code call}'s result, made on a virtual thread of its own */
    private static <T> CompletableFuture<T> async(IoCall<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    /** Publishes {@code subject} until the publisher has the peer's subscription and passes it over. */
    private static void awaitPassedOver(Connection publisher, String subject) {
        awaitPublished(publisher, subject, false);
    }

    /** Publishes "probe" with {@code subject} until {@code publish} returns {@code sent}. */
    private static void awaitPublished(Connection publisher, String subject, boolean sent) {
        Waits.until("the publisher " + (sent ? "sends '" : "passes '") + subject + (sent ? "'" : "' over"), WAIT,
                () -> {
                    try {
                        return publisher.publish(subject, "probe") == sent;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    @Test
    void thePublisherSendsOnlyWhatThePrefixesMatchAndMessagesWithoutASubjectToAll() throws Exception {
        Connection[] p = pair("protocol=conduit");
        p[0].subscribe("orders.eu", "prices.");
        assertTrue(p[1].publish("orders.eu.new", "a"));
        assertFalse(p[1].publish("orders.us.new", "b"), "no prefix matches");
        assertFalse(p[1].publish("orders.e", "c"), "shorter than the prefix");
        assertTrue(p[1].publish("prices.ACME", "d"));
        p[1].send("plain");
        assertEquals("a@orders.eu.new", next(p[0]));
        assertEquals("d@prices.ACME", next(p[0]));
        assertEquals("plain@null", next(p[0]));
        assertNull(p[0].receive(Duration.ofMillis(50)));
    }

    @Test
    void withoutASubscriptionEverythingComesWithItsSubject() throws Exception {
        Connection[] p = pair("protocol=conduit");
        assertTrue(p[1].publish("a.b", "x"));
        assertTrue(p[0].publish("back", "y"), "both directions");
        assertEquals("x@a.b", next(p[0]));
        assertEquals("y@back", next(p[1]));
        byte[] sent = {0, 1, 2, 3};
        p[1].publish("bytes", sent);
        assertArrayEquals(sent, p[0].receive(WAIT));
        assertEquals("bytes", p[0].lastSubject());
    }

    @Test
    void anEmptySetTakesNothingWithASubject() throws Exception {
        Connection[] p = pair("protocol=conduit");
        p[0].subscribe();
        p[1].publish("a", "x");
        p[1].send("plain");
        assertEquals("plain@null", next(p[0]));
        awaitPassedOver(p[1], "b");
        p[0].subscribe("");
        awaitPublished(p[1], "b", true);
        assertEquals("probe@b", next(p[0]), "the empty prefix matches every subject");
    }

    @Test
    void aNewSubscriptionAppliesFromItsReturnAndDropsWhatItDoesNotMatchInFlight() throws Exception {
        Connection[] p = pair("protocol=conduit");
        p[0].subscribe("a");
        assertTrue(p[1].publish("a1", "old set"));
        assertFalse(p[1].publish("b1", "passed over under the old set"));
        p[1].send("plain 1");
        // "old set" and "plain 1" are in flight, or here already: the new set drops the first.
        p[0].subscribe("b");
        awaitPassedOver(p[1], "a2");
        assertTrue(p[1].publish("b2", "new set"));
        p[1].send("plain 2");
        assertEquals("plain 1@null", next(p[0]));
        assertEquals("new set@b2", next(p[0]));
        assertEquals("plain 2@null", next(p[0]));
    }

    @Test
    void nonAsciiSubjectsArriveWhole() throws Exception {
        Connection[] p = pair("protocol=conduit");
        p[0].subscribe("заказы.", "注文", "🚀");
        assertTrue(p[1].publish("заказы.eu", "ru"));
        assertFalse(p[1].publish("заказ", "shorter"));
        assertFalse(p[1].publish("注", "half of a prefix"));
        assertTrue(p[1].publish("注文.新", "ja"));
        assertTrue(p[1].publish("🚀.launch", "emoji"));
        assertEquals("ru@заказы.eu", next(p[0]));
        assertEquals("ja@注文.新", next(p[0]));
        assertEquals("emoji@🚀.launch", next(p[0]));
    }

    @Test
    void badSubjectsAndPrefixesAreRefusedAndNothingIsSent() throws Exception {
        Connection[] p = pair("protocol=conduit&maxFrame=1k");
        String name = p[1].endpoint().toString();
        assertTrue(p[1].publish("x".repeat(255), "longest"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p[1].publish("é".repeat(128), "256 bytes"));
        assertEquals(name + ": publish: subject '" + "é".repeat(128) + "' of 256 bytes as UTF-8 (expected: 1 to 255)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p[1].publish("", "empty"));
        assertEquals(name + ": publish: subject '' of 0 bytes as UTF-8 (expected: 1 to 255)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p[1].publish("a\uD800", "surrogate"));
        assertEquals(name + ": publish: subject has an unpaired surrogate at index 1 (U+D800): not UTF-8 text",
                e.getMessage());
        String client = p[0].endpoint().toString();
        e = assertThrows(IllegalArgumentException.class, () -> p[0].subscribe("ok", "y".repeat(256)));
        assertEquals(client + ": subscribe: prefix 1 '" + "y".repeat(256) + "' of 256 bytes as UTF-8 (expected: at"
                + " most 255)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p[0].subscribe(new String[257]));
        assertEquals(client + ": subscribe: 257 prefixes (expected: at most 256)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p[0].subscribe("a", null));
        assertEquals(client + ": subscribe: prefix 1 is null", e.getMessage());
        FrameTooLongException tooLong = assertThrows(FrameTooLongException.class,
                () -> p[1].publish("s", new byte[1023]));
        assertEquals(name + ": send: frame length 1025 exceeds maxFrame 1024", tooLong.getMessage(),
                "the subject and its length byte count");
        p[1].send("after");
        assertEquals("longest@" + "x".repeat(255), next(p[0]));
        assertEquals("after@null", next(p[0]), "nothing was sent for the refused ones");
    }

    @Test
    void aRawConnectionRefusesSubjectsAndSaysWhatToAdd() throws Exception {
        Connection[] p = pair("maxFrame=1m");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> p[0].subscribe("a"));
        assertEquals(p[0].endpoint() + ": subscribe: subjects need ?protocol=conduit on both ends", e.getMessage());
        e = assertThrows(UnsupportedOperationException.class, () -> p[1].publish("a", "x"));
        assertEquals(p[1].endpoint() + ": publish: subjects need ?protocol=conduit on both ends", e.getMessage());
        p[1].send("raw");
        p[0].receive(WAIT);
        assertNull(p[0].lastSubject());
    }

    @Test
    void acknowledgedPublishesWaitForTheirAckAndPassedOverOnesDoNot() throws Exception {
        Connection[] p = pair("protocol=conduit&ack=true&ackTimeout=30s");
        p[0].subscribe("a");
        CompletableFuture<Boolean> acked = async(() -> p[1].publish("a.1", "acked"));
        assertEquals("acked@a.1", next(p[0]));
        assertTrue(acked.get(10, TimeUnit.SECONDS));
        assertFalse(p[1].publish("b.1", "passed over"), "returns at once, with no ack to wait for");
    }

    @Test
    void aPeerWithoutSubjectsGetsPlainDataAndRefusesSubscriptionsClearly() throws Exception {
        Listener listener = track(Conduit.listen(endpoint("maxFrame=1m")));
        List<byte[]> got = new CopyOnWriteArrayList<>();
        CompletableFuture<Connection> server = async(() -> {
            Connection peer = listener.accept(WAIT);
            peer.send(("\0conduit-session 1").getBytes(StandardCharsets.US_ASCII));
            Thread.ofVirtual().start(() -> olderPeer(peer, got));
            return peer;
        });
        Connection session = track(Conduit.connect(Endpoint.parse(listener.endpoint() + "&protocol=conduit"), WAIT));
        track(server.get(10, TimeUnit.SECONDS));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> session.subscribe("a"));
        assertEquals(session.endpoint() + ": subscribe: the peer's session protocol has no subjects (an older"
                + " Conduit): it would send every message all the same; nothing was sent", e.getMessage());
        assertTrue(session.publish("a.b", "as data"), "an older peer takes every message");
        Waits.until("the older peer got its message", WAIT, () -> got.size() == 2);
        assertEquals(0, got.get(0)[0], "the session's hello");
        assertEquals(1, got.get(1)[0], "a DATA, not a PUBLISH");
        assertEquals("as data", new String(got.get(1), 9, got.get(1).length - 9, StandardCharsets.UTF_8));
        assertTrue(session.isOpen());
    }

    /** What a session peer from before subjects does: echoes every ping's nonce, keeps the rest. */
    private static void olderPeer(Connection raw, List<byte[]> got) {
        try {
            while (true) {
                byte[] frame = raw.receive();
                if (frame.length == 9 && frame[0] == 5) {
                    frame[0] = 6;
                    raw.send(frame);
                } else {
                    got.add(frame);
                }
            }
        } catch (IOException e) {
            // the test is over
        }
    }

    @Test
    void malformedSubjectFramesAreProtocolErrorsThatSayWhatCame() throws Exception {
        assertProtocolError(new byte[] {8, 0, 2, 3, 'a', 'b'},
                "a SUBSCRIBE of 6 bytes whose prefix 0 of 2 runs past its end");
        assertProtocolError(new byte[] {8, 1, 1},
                "a SUBSCRIBE of 257 prefixes (expected: at most 256)");
        assertProtocolError(new byte[] {8, 0, 1, 1, (byte) 0xC0, 0},
                "a SUBSCRIBE whose prefix 0 is not well-formed UTF-8");
        assertProtocolError(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x'},
                "a PUBLISH of 11 bytes with a subject of 0 bytes (expected: 1 to 255, within the frame)");
        assertProtocolError(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 5, 'x'},
                "a PUBLISH of 11 bytes with a subject of 5 bytes (expected: 1 to 255, within the frame)");
        assertProtocolError(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 2, (byte) 0xED, (byte) 0xA0},
                "a PUBLISH whose subject is not well-formed UTF-8");
    }

    private void assertProtocolError(byte[] frame, String what) throws Exception {
        Connection session = fakeSessionPeer("conduit-session 1", frame);
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> session.receive(WAIT));
        assertEquals(session.endpoint() + ": session protocol error: the peer sent " + what, e.getMessage());
    }

    @Test
    void aBroadcastSendsEachMemberWhatItsPeerSubscribedTo() throws Exception {
        Listener listener = track(Conduit.listen(endpoint("protocol=conduit")));
        Connection europe = track(Conduit.connect(listener.endpoint(), WAIT));
        Connection europeSide = listener.accept(WAIT);
        Connection america = track(Conduit.connect(listener.endpoint(), WAIT));
        Connection americaSide = listener.accept(WAIT);
        europe.subscribe("orders.eu");
        america.subscribe("orders.us", "orders.ca");
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Broadcast orders = track(Broadcast.create(new MemberEvents() {
            @Override
            public void failed(Member member, Throwable failure) {
                failures.add(failure);
            }
        }));
        Member eu = orders.join(europeSide, 16, SlowConsumerPolicy.BLOCK);
        Member us = orders.join(americaSide, 16, SlowConsumerPolicy.BLOCK);
        orders.publish("orders.eu.fr", "1".getBytes(StandardCharsets.UTF_8));
        orders.publish("orders.us.ny", "2".getBytes(StandardCharsets.UTF_8));
        orders.publish("orders.ca.qc", "3".getBytes(StandardCharsets.UTF_8));
        orders.publish("everyone");
        assertEquals("1@orders.eu.fr", next(europe));
        assertEquals("everyone@null", next(europe));
        assertEquals("2@orders.us.ny", next(america));
        assertEquals("3@orders.ca.qc", next(america));
        assertEquals("everyone@null", next(america));
        Waits.until("the members counted what they sent", WAIT, () -> eu.sent() == 2 && us.sent() == 3);
        assertEquals(List.of(), failures);
        assertEquals(4, orders.published());
    }

    @Test
    void aReconnectedSessionSubscribesAgain() throws Exception {
        Listener listener = track(Conduit.listen(endpoint("protocol=conduit")));
        Connection client = track(Conduit.connect(Endpoint.parse(listener.endpoint()
                + "&ack=true&reconnect=true&reconnectDelay=10ms&reconnectMaxDelay=50ms"), WAIT));
        Connection first = listener.accept(WAIT);
        client.subscribe("a");
        assertTrue(first.publish("a.1", "before"));
        assertEquals("before@a.1", next(client));
        // A receive finds the loss, and waits on for the next connection's messages.
        CompletableFuture<String> after = async(() -> next(client));
        first.close();
        Connection second = track(listener.accept(WAIT));
        assertTrue(second != null, "the client did not dial again");
        awaitPassedOver(second, "b.2");
        assertTrue(second.publish("a.2", "after"));
        assertEquals("after@a.2", after.get(10, TimeUnit.SECONDS));
        client.subscribe("b");
        awaitPassedOver(second, "a.3");
        assertTrue(second.publish("b.3", "changed"));
        assertEquals("changed@b.3", next(client));
        // The client's own publishes go numbered across the session's connections, acknowledged.
        CompletableFuture<Boolean> up = async(() -> client.publish("up.1", "numbered"));
        assertEquals("numbered@up.1", next(second));
        assertTrue(up.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aReceiversPollHandlerSeesTheSubjectOfItsMessage() throws Exception {
        Connection[] p = pair("protocol=conduit");
        p[1].publish("s.1", "one");
        p[1].send("two");
        List<String> seen = new ArrayList<>();
        while (seen.size() < 2) {
            p[0].poll((ByteBuffer m) -> seen.add(StandardCharsets.UTF_8.decode(m) + "@" + p[0].lastSubject()), 2, WAIT);
        }
        assertEquals(List.of("one@s.1", "two@null"), seen);
    }
}
