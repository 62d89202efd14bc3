package dev.conduit.pattern;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.conduit.pattern.Pairs.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BroadcastTest {
    private final Pairs pairs = new Pairs();
    private final List<Member> drops = new CopyOnWriteArrayList<>();
    private final List<Member> disconnects = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Broadcast group = pairs.track(Broadcast.create(new MemberEvents() {
        @Override
        public void dropped(Member member) {
            drops.add(member);
        }

        @Override
        public void disconnected(Member member) {
            disconnects.add(member);
        }

        @Override
        public void failed(Member member, Throwable failure) {
            failures.add(failure);
        }
    }));

    @AfterEach
    void cleanUp() throws Exception {
        pairs.close();
    }

    /** Receives {@code from} to {@code to - 1} in order. */
    private static void expectRun(Connection client, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            assertEquals("m" + i, client.receiveString(WAIT));
        }
    }

    /** A slow member over {@code slow}: joined after the others, its thread held at a gate with {@code m0}. */
    private record Held(GatedSender gate, Member member) {
    }

    private Held joinHeld(Connection slow, int outboxCapacity, SlowConsumerPolicy policy) throws IOException {
        GatedSender gate = new GatedSender(slow);
        Member member = group.join(gate, outboxCapacity, policy);
        group.publish("m0");
        Waits.until("the slow member's thread is held at the gate", WAIT, gate::isWaiting);
        return new Held(gate, member);
    }

    /** Publishes {@code m<from>} to {@code m<to - 1>} on a thread of its own, counting them in {@code published}. */
    private Thread publishOnAThread(int from, int to, AtomicInteger published) {
        return Thread.ofVirtual().start(() -> {
            try {
                for (int i = from; i < to; i++) {
                    group.publish("m" + i);
                    published.set(i + 1);
                }
            } catch (IOException e) {
                failures.add(e);
            }
        });
    }

    @Test
    void everyMemberOfAMixOfTransportsGetsEveryMessageInOrder() throws Exception {
        List<Connection> clients = new ArrayList<>();
        for (String scheme : List.of("unix", "tcp", "mem", "shm")) {
            Connection[] pair = pairs.pair(scheme);
            group.join(pair[0], 64, SlowConsumerPolicy.BLOCK);
            clients.add(pair[1]);
        }
        Thread publisher = publishOnAThread(0, 2000, new AtomicInteger());
        for (Connection client : clients) {
            expectRun(client, 0, 2000);
        }
        publisher.join();
        assertEquals(2000, group.published());
        assertEquals(List.of(), failures);
        assertEquals(0, group.dropped());
        Waits.until("every member has sent all", WAIT, () -> group.members().stream().allMatch(m -> m.sent() == 2000));
    }

    @Test
    void blockPolicyHoldsThePublisherUntilTheSlowMemberHasRoom() throws Exception {
        Connection[] fast = pairs.pair("unix");
        Connection[] slow = pairs.pair("mem");
        group.join(fast[0], 64, SlowConsumerPolicy.BLOCK);
        GatedSender gate = joinHeld(slow[0], 2, SlowConsumerPolicy.BLOCK).gate();
        group.publish("m1");
        group.publish("m2"); // the slow member's outbox is now full

        Thread publisher = publishOnAThread(3, 4, new AtomicInteger());
        expectRun(fast[1], 0, 4); // the fast member joined first, so it has m3 before the publisher waits
        Waits.until("the publisher waits for the slow member", WAIT, () -> Waits.isIn(publisher, "Outbox", "put"));
        assertTrue(publisher.isAlive());

        gate.open();
        publisher.join();
        expectRun(slow[1], 0, 4);
        assertEquals(0, group.dropped());
        assertEquals(List.of(), drops);
    }

    @Test
    void dropOldestDropsOnlyTheSlowMembersOldestMessagesAndCountsEach() throws Exception {
        Connection[] fast = pairs.pair("tcp");
        Connection[] slow = pairs.pair("shm");
        group.join(fast[0], 200, SlowConsumerPolicy.DROP_OLDEST);
        Held held = joinHeld(slow[0], 4, SlowConsumerPolicy.DROP_OLDEST);
        Member slowMember = held.member();

        for (int i = 1; i < 100; i++) {
            group.publish("m" + i); // never blocks
        }
        expectRun(fast[1], 0, 100);
        assertEquals(95, slowMember.dropped(), "m1..m95 dropped, m96..m99 kept");
        assertEquals(95, group.dropped());
        assertEquals(95, drops.size());
        drops.forEach(m -> assertSame(slowMember, m));

        held.gate().open();
        expectRun(slow[1], 0, 1);
        expectRun(slow[1], 96, 100);
        assertTrue(slowMember.isActive());
    }

    @Test
    void disconnectRemovesOnlyTheSlowMemberAndReportsIt() throws Exception {
        Connection[] fast = pairs.pair("unix");
        Connection[] slow = pairs.pair("tcp");
        group.join(fast[0], 64, SlowConsumerPolicy.DISCONNECT);
        Member slowMember = joinHeld(slow[0], 4, SlowConsumerPolicy.DISCONNECT).member();
        for (int i = 1; i <= 5; i++) {
            group.publish("m" + i); // m1..m4 fill the outbox; m5 finds it full
        }

        assertEquals(List.of(slowMember), disconnects);
        assertEquals(1, group.disconnected());
        assertFalse(slowMember.isActive());
        assertEquals(1, group.members().size());
        group.publish("m6");
        expectRun(fast[1], 0, 7);
        // The slow client gets at most the message its member was sending, then the close.
        assertThrows(ConnectionClosedException.class, () -> {
            while (true) {
                assertEquals("m0", slow[1].receiveString(WAIT));
            }
        });
        assertEquals(List.of(), failures);
    }

    @Test
    void membersJoinAndLeaveWhilePublishing() throws Exception {
        int total = 3000;
        Connection[] steady = pairs.pair("unix");
        group.join(steady[0], 64, SlowConsumerPolicy.BLOCK);
        Thread steadyReader = Thread.ofVirtual().start(() -> {
            try {
                expectRun(steady[1], 0, total);
            } catch (IOException | AssertionError e) {
                failures.add(e);
            }
        });
        AtomicInteger published = new AtomicInteger();
        Thread publisher = publishOnAThread(0, total, published);
        Waits.until("publishing is under way", WAIT, () -> published.get() > 100);
        Connection[] visitor = pairs.pair("mem");
        Member member = group.join(visitor[0], 64, SlowConsumerPolicy.BLOCK);
        int first = Integer.parseInt(visitor[1].receiveString(WAIT).substring(1));
        int last = first;
        for (int i = 0; i < 100 && last < total - 1; i++) {
            int n = Integer.parseInt(visitor[1].receiveString(WAIT).substring(1));
            assertEquals(last + 1, n, "a member's messages are a run without gaps");
            last = n;
        }
        member.leave();
        assertFalse(member.isActive());
        try {
            while (true) { // what its outbox held still comes, then the close
                int n = Integer.parseInt(visitor[1].receiveString(WAIT).substring(1));
                assertEquals(last + 1, n);
                last = n;
            }
        } catch (ConnectionClosedException e) {
            // left
        }
        assertTrue(last < total, "left while publishing");
        publisher.join();
        steadyReader.join();
        assertEquals(List.of(), failures);
        assertEquals(1, group.members().size());
    }

    @Test
    void aMemberProcessKilledWithSigkillIsRemovedAndReported() throws Exception {
        Listener listener = pairs.track(Conduit.listen(pairs.endpoint("unix", "")));
        Process child = pairs.track(ChildJvm.builder(PatternPeers.class, "receive", listener.endpoint().toString())
                .start());
        Set<String> childGot = ConcurrentHashMap.newKeySet();
        AtomicInteger childLines = new AtomicInteger();
        PatternPeers.collect(child, childGot, childLines);
        Connection childMember = listener.accept(WAIT);
        assertNotNull(childMember, "the child did not connect");
        Member doomed = group.join(childMember, 16, SlowConsumerPolicy.BLOCK);
        Connection[] healthy = pairs.pair("shm");
        group.join(healthy[0], 16, SlowConsumerPolicy.BLOCK);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger published = new AtomicInteger();
        Thread publisher = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    group.publish("m" + i);
                    published.set(i + 1);
                }
            } catch (IOException e) {
                failures.add(e);
            }
        });
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; ; i++) {
                    assertEquals("m" + i, healthy[1].receiveString(WAIT));
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        });
        Waits.until("the child has received some", WAIT, () -> childLines.get() > 100);
        ChildJvm.kill(child);

        Waits.until("the killed member is reported", WAIT, () -> !failures.isEmpty());
        assertFalse(doomed.isActive());
        assertEquals(1, group.failed());
        assertEquals(1, group.members().size());
        int after = published.get();
        Waits.until("publishing goes on to the healthy member", WAIT, () -> published.get() > after + 100);
        stop.set(true);
        publisher.join();
        assertTrue(reader.isAlive(), "the healthy member's reader saw every message in order");
        assertEquals(1, failures.size(), failures.toString());
    }

    @Test
    void aSubjectGoesToSessionMembersThatAskedForItPlainToOneWayOnesAndFailsRawConnections() throws Exception {
        Listener sessions = pairs.track(Conduit.listen(pairs.endpoint("mem", "protocol=conduit")));
        Connection subscriber = pairs.track(Conduit.connect(sessions.endpoint().toString(), WAIT));
        Connection sessionMember = pairs.track(sessions.accept(WAIT));
        subscriber.subscribe("x.");
        Connection[] oneWay = pairs.pair("mem");
        GatedSender notAConnection = new GatedSender(oneWay[0]);
        notAConnection.open();
        Connection[] raw = pairs.pair("mem");
        Member session = group.join(sessionMember, 8, SlowConsumerPolicy.BLOCK);
        group.join(notAConnection, 8, SlowConsumerPolicy.BLOCK);
        group.join(raw[0], 8, SlowConsumerPolicy.BLOCK);

        group.publish("y.1", "passed over".getBytes(StandardCharsets.UTF_8));
        group.publish("x.1", "asked for".getBytes(StandardCharsets.UTF_8));
        assertEquals("asked for", subscriber.receiveString(WAIT));
        assertEquals("x.1", subscriber.lastSubject());
        assertEquals("passed over", oneWay[1].receiveString(WAIT), "a one-way member gets everything");
        assertEquals("asked for", oneWay[1].receiveString(WAIT));
        Waits.until("the raw member failed", WAIT, () -> failures.size() == 1);
        assertEquals(raw[0].endpoint() + ": publish: subjects need ?protocol=conduit on both ends",
                failures.get(0).getMessage());
        assertEquals(2, group.members().size());
        session.leave(); // its sender closes after its last send is counted
        assertThrows(ConnectionClosedException.class, () -> subscriber.receive(WAIT));
        assertEquals(1, session.sent(), "the member's connection passed y.1 over");
    }
}
