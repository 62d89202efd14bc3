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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.conduit.pattern.Pairs.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DistributorTest {
    private final Pairs pairs = new Pairs();
    private final List<Member> failedMembers = new CopyOnWriteArrayList<>();
    private final Distributor jobs = pairs.track(Distributor.create(new MemberEvents() {
        @Override
        public void failed(Member member, Throwable failure) {
            failedMembers.add(member);
        }
    }));

    @AfterEach
    void cleanUp() throws Exception {
        pairs.close();
    }

    /** Receives on {@code client} until it is closed, on a thread of its own, into {@code got}. */
    private static Thread drain(Connection client, List<String> got) {
        return Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    got.add(client.receiveString());
                }
            } catch (IOException e) {
                // closed by the distributor
            }
        });
    }

    @Test
    void eachMessageGoesToExactlyOneMemberInTurn() throws Exception {
        List<List<String>> got = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (String scheme : List.of("unix", "mem", "shm")) {
            Connection[] pair = pairs.pair(scheme);
            jobs.join(pair[0], 1000);
            List<String> mine = new CopyOnWriteArrayList<>();
            got.add(mine);
            readers.add(drain(pair[1], mine));
        }
        for (int i = 0; i < 300; i++) {
            jobs.send("m" + i);
        }
        assertTrue(jobs.awaitSent(WAIT));
        jobs.close();
        for (Thread reader : readers) {
            reader.join();
        }
        Set<String> all = new HashSet<>();
        for (List<String> mine : got) {
            assertEquals(100, mine.size(), "round-robin while no outbox is full");
            all.addAll(mine);
        }
        assertEquals(300, all.size(), "no message twice");
        assertEquals(300, jobs.sent());
        assertEquals(0, jobs.outstanding());
    }

    @Test
    void aMemberWithAFullOutboxIsPassedOver() throws Exception {
        Connection[] slow = pairs.pair("tcp");
        Connection[] fast = pairs.pair("unix");
        GatedSender gate = new GatedSender(slow[0]);
        jobs.join(gate, 1);
        jobs.join(fast[0], 1000);
        List<String> fastGot = new CopyOnWriteArrayList<>();
        Thread fastReader = drain(fast[1], fastGot);
        jobs.send("m0"); // to the gated member, whose thread then waits at the gate
        Waits.until("the slow member's thread is held at the gate", WAIT, gate::isWaiting);
        for (int i = 1; i < 100; i++) {
            jobs.send("m" + i); // m2 fills the slow outbox; from m3 on, all go to the fast member
        }
        Waits.until("the fast member has its share", WAIT, () -> fastGot.size() == 98);
        assertEquals(2, jobs.outstanding(), "m0 and m2 wait for the slow member");
        gate.open();
        assertEquals("m0", slow[1].receiveString(WAIT));
        assertEquals("m2", slow[1].receiveString(WAIT));
        assertTrue(jobs.awaitSent(WAIT));
        jobs.close();
        fastReader.join();
        assertFalse(fastGot.contains("m0"));
    }

    @Test
    void sendWaitsForAMemberAndCloseEndsIt() throws Exception {
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                jobs.send("nobody takes this");
            } catch (Throwable e) {
                ended.set(e);
            }
        });
        Waits.until("send waits for a member", WAIT, () -> Waits.isIn(sender, "Distributor", "dispatch"));
        jobs.close();
        sender.join();
        assertEquals(new ConnectionClosedException("distributor: send: closed").toString(),
                String.valueOf(ended.get()));
        Connection member = pairs.pair("mem")[0];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> jobs.join(member, 0));
        assertEquals("distributor: join: outboxCapacity 0 (expected: >= 1)", e.getMessage());
    }

    @Test
    void aFailedMembersMessagesWaitForTheNextMemberToJoin() throws Exception {
        Connection[] first = pairs.pair("mem");
        GatedSender gate = new GatedSender(first[0]);
        Member failing = jobs.join(gate, 4);
        jobs.send("m0");
        Waits.until("the member's thread is held at the gate", WAIT, gate::isWaiting);
        for (int i = 1; i < 5; i++) {
            jobs.send("m" + i);
        }
        gate.close(); // its send goes on, into a closed connection: the member fails with nobody to take over

        Waits.until("the failure is reported", WAIT, () -> failedMembers.size() == 1);
        assertFalse(failing.isActive());
        assertEquals(5, jobs.outstanding());
        assertEquals(5, jobs.redelivered());
        Connection[] second = pairs.pair("unix");
        jobs.join(second[0], 1);
        for (int i = 0; i < 5; i++) {
            assertEquals("m" + i, second[1].receiveString(WAIT));
        }
        assertTrue(jobs.awaitSent(WAIT));
    }

    @Test
    void aWorkerProcessKilledWithSigkillLosesNoMessageWithAcknowledgements() throws Exception {
        int total = 1500;
        Listener listener = pairs.track(Conduit.listen(pairs.endpoint("unix", "protocol=conduit&ack=true")));
        Set<String> received = ConcurrentHashMap.newKeySet();
        AtomicInteger doomedLines = new AtomicInteger();
        List<Thread> collectors = new ArrayList<>();
        List<Process> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // The first stops receiving after 50 messages, mid-stream, and is killed there.
            String[] args = i == 0 ? new String[] {"receive", listener.endpoint().toString(), "50"}
                    : new String[] {"receive", listener.endpoint().toString()};
            Process worker = pairs.track(ChildJvm.builder(PatternPeers.class, args).start());
            workers.add(worker);
            collectors.add(PatternPeers.collect(worker, received, i == 0 ? doomedLines : new AtomicInteger()));
            Connection member = listener.accept(Duration.ofSeconds(60));
            assertNotNull(member, "worker " + i + " did not connect");
            jobs.join(member, 8);
        }
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    jobs.send("m" + i);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        Waits.until("the first worker has stopped after 50", Duration.ofSeconds(60), () -> doomedLines.get() == 50);
        ChildJvm.kill(workers.getFirst());

        producer.join();
        assertTrue(jobs.awaitSent(Duration.ofSeconds(60)), "outstanding: " + jobs.outstanding());
        assertEquals(1, failedMembers.size());
        assertEquals(1, jobs.failed());
        assertTrue(jobs.redelivered() >= 1, "the killed worker's in-flight message went to another");
        jobs.close(); // the surviving workers see their connection close and exit
        for (int i = 1; i < workers.size(); i++) {
            assertTrue(workers.get(i).waitFor(60, TimeUnit.SECONDS));
        }
        for (Thread collector : collectors) {
            collector.join();
        }
        Set<String> missing = new HashSet<>();
        for (int i = 0; i < total; i++) {
            if (!received.contains("m" + i)) {
                missing.add("m" + i);
            }
        }
        assertEquals(Set.of(), missing, "every message reached some worker's application");
    }
}
