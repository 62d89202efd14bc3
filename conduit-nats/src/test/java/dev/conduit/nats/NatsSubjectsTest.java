package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Subjects, wildcards, queue groups and request/reply across several listeners. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsSubjectsTest {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();


    @Test
    void wildcardSubscribersSeeTheSubjectsTheyMatchAndEveryOneGetsACopy() throws Exception {
        try (MessageReceiver star = Conduit.openReceiver(NATS.get().url("w.*.created"));
             MessageReceiver tail = Conduit.openReceiver(NATS.get().url("w.>"));
             MessageSender eu = Conduit.openSender(NATS.get().url("w.eu.created"));
             MessageSender deep = Conduit.openSender(NATS.get().url("w.eu.created.late"))) {
            eu.send("one");
            deep.send("two");
            assertEquals("one", star.receiveString(Duration.ofSeconds(10)));
            // Two publishers, two server connections: NATS orders each one's messages, not the two.
            assertEquals(Set.of("one", "two"), Set.of(tail.receiveString(Duration.ofSeconds(10)),
                    tail.receiveString(Duration.ofSeconds(10))));
            assertNull(star.receive(Duration.ofMillis(200)), "w.*.created does not match w.eu.created.late");
        }
    }

    @Test
    void aQueueGroupSharesTheMessagesAmongItsReceiversEachOnce() throws Exception {
        String endpoint = NATS.get().url("work") + "?queue=workers";
        try (MessageReceiver a = Conduit.openReceiver(endpoint);
             MessageReceiver b = Conduit.openReceiver(endpoint);
             MessageSender sender = Conduit.openSender(NATS.get().url("work"))) {
            int n = 200;
            for (int i = 0; i < n; i++) {
                sender.send(Integer.toString(i));
            }
            Set<String> seen = new HashSet<>();
            int fromA = drain(a, seen);
            int fromB = drain(b, seen);
            assertEquals(n, fromA + fromB, "each message once");
            assertEquals(n, seen.size());
            assertTrue(fromA > 0 && fromB > 0, "both shared the work: " + fromA + " and " + fromB);
        }
    }

    private static int drain(MessageReceiver r, Set<String> seen) throws Exception {
        int count = 0;
        for (String m; (m = r.receiveString(Duration.ofMillis(500))) != null; count++) {
            assertTrue(seen.add(m), "delivered twice: " + m);
        }
        return count;
    }

    @Test
    void eachConnectReachesOneListenerAndItsConversationStaysThere() throws Exception {
        String endpoint = NATS.get().url("rpc");
        try (Listener first = Conduit.listen(endpoint);
             Listener second = Conduit.listen(endpoint)) {
            int clients = 20;
            int fromFirst = 0;
            for (int i = 0; i < clients; i++) {
                try (Connection client = Conduit.connect(endpoint, Duration.ofSeconds(5))) {
                    Connection a = first.accept(Duration.ZERO);
                    Connection served = a != null ? a : second.accept(Duration.ofSeconds(10));
                    assertNotNull(served);
                    fromFirst += a != null ? 1 : 0;
                    try (served) {
                        for (int k = 0; k < 3; k++) {
                            assertEquals("q" + k, new String(requestReply(client, served, "q" + k)));
                        }
                        assertNull(first.accept(Duration.ZERO));
                        assertNull(second.accept(Duration.ZERO));
                    }
                }
            }
            assertTrue(fromFirst > 0 && fromFirst < clients, "both listeners served: " + fromFirst + " of " + clients);
        }
    }

    @Test
    void aListenerReceivesPlainPublishesInOrderOnOneConnectionThatCannotAnswer() throws Exception {
        String endpoint = NATS.get().url("published");
        try (Listener listener = Conduit.listen(endpoint);
             MessageSender sender = Conduit.openSender(endpoint)) {
            for (int i = 0; i < 50; i++) {
                sender.send(Integer.toString(i));
            }
            try (Connection publications = listener.accept(Duration.ofSeconds(10))) {
                for (int i = 0; i < 50; i++) {
                    assertEquals(Integer.toString(i), publications.receiveString(Duration.ofSeconds(10)));
                }
                java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                        () -> publications.send("answer"));
                assertEquals(endpoint + " (publications): send: these messages were published without a reply"
                        + " subject, so there is no one to answer", e.getMessage());
                assertNull(listener.accept(Duration.ZERO), "one connection for them all");
            }
            sender.send("after");
            try (Connection next = listener.accept(Duration.ofSeconds(10))) {
                assertEquals("after", next.receiveString(Duration.ofSeconds(10)));
            }
        }
    }

    private static byte[] requestReply(Connection client, Connection served, String text) throws Exception {
        client.send(text);
        served.send(served.receive(Duration.ofSeconds(10)));
        return client.receive(Duration.ofSeconds(10));
    }
}
