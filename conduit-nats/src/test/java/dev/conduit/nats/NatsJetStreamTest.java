package dev.conduit.nats;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.NatsServer;
import dev.conduit.testing.Waits;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ?stream=}: stored sends, durable receivers that resume, and {@code ?from=}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NatsJetStreamTest {
    @RegisterExtension
    static final NatsServer.PerClass NATS = new NatsServer.PerClass();
    private static final AtomicInteger STREAMS = new AtomicInteger();


    /** @return a fresh stream's endpoint, without options after the stream */
    private static String fresh() {
        int n = STREAMS.incrementAndGet();
        return NATS.get().url("events." + n) + "?stream=EVENTS_" + n;
    }

    private static ConsumerInfo consumer(String stream, String name) throws Exception {
        io.nats.client.Connection raw = Nats.connect("nats://127.0.0.1:" + NATS.get().port());
        try {
            return raw.jetStreamManagement().getConsumerInfo(stream, name);
        } finally {
            raw.close();
        }
    }

    private static long stored(String stream) throws Exception {
        io.nats.client.Connection raw = Nats.connect("nats://127.0.0.1:" + NATS.get().port());
        try {
            return raw.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
        } finally {
            raw.close();
        }
    }

    @Test
    void aSendReturnsOnceTheStreamHasStoredTheMessage() throws Exception {
        String endpoint = fresh();
        String stream = endpoint.substring(endpoint.indexOf("stream=") + 7);
        try (MessageSender sender = Conduit.openSender(endpoint)) {
            for (int i = 1; i <= 5; i++) {
                sender.send("m" + i);
                assertEquals(i, stored(stream), "stored when send returned");
            }
        }
    }

    @Test
    void aDurableReceiverResumesAfterARestartWithoutLossOrDuplicates() throws Exception {
        String endpoint = fresh();
        String durable = endpoint + "&durable=worker&from=start";
        try (MessageSender sender = Conduit.openSender(endpoint)) {
            for (int i = 0; i < 10; i++) {
                sender.send("m" + i);
            }
        }
        try (MessageReceiver first = Conduit.openReceiver(durable)) {
            for (int i = 0; i < 4; i++) {
                assertEquals("m" + i, first.receiveString(Duration.ofSeconds(10)));
            }
        }
        String stream = endpoint.substring(endpoint.indexOf("stream=") + 7);
        ConsumerInfo info = consumer(stream, "worker");
        assertEquals(4, info.getAckFloor().getStreamSequence(), "the four taken are acknowledged");
        assertEquals(0, info.getNumAckPending(), "and none is left to be delivered again");
        try (MessageReceiver again = Conduit.openReceiver(durable);
             MessageSender more = Conduit.openSender(endpoint)) {
            more.send("m10");
            for (int i = 4; i <= 10; i++) {
                assertEquals("m" + i, again.receiveString(Duration.ofSeconds(10)));
            }
            assertNull(again.receive(Duration.ofMillis(300)), "nothing twice");
        }
    }

    @Test
    void fromStartEndASequenceOrATimeReplaysLikeALog() throws Exception {
        String endpoint = fresh();
        try (MessageSender sender = Conduit.openSender(endpoint);
             MessageReceiver fromEnd = Conduit.openReceiver(endpoint + "&from=end")) {
            sender.send("a");
            sender.send("b");
            Instant between = Instant.now();
            Waits.until("the clock to pass " + between, Duration.ofSeconds(5),
                    () -> Instant.now().isAfter(between.plusMillis(2)));
            sender.send("c");
            try (MessageReceiver fromStart = Conduit.openReceiver(endpoint + "&from=start");
                 MessageReceiver fromTwo = Conduit.openReceiver(endpoint + "&from=2");
                 MessageReceiver fromTime = Conduit.openReceiver(endpoint + "&from=" + between)) {
                assertEquals("a", fromStart.receiveString(Duration.ofSeconds(10)));
                assertEquals("b", fromTwo.receiveString(Duration.ofSeconds(10)));
                assertEquals("c", fromTime.receiveString(Duration.ofSeconds(10)));
            }
            assertEquals("a", fromEnd.receiveString(Duration.ofSeconds(10)), "end: what is sent after it opened");
        }
    }

    @Test
    void jetStreamOptionsAreCheckedAndNamed() {
        IllegalArgumentException noStream = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(NATS.get().url("x") + "?durable=d"));
        assertEquals("endpoint '" + NATS.get().url("x") + "?durable=d': durable and from are JetStream options: add"
                + " ?stream=NAME", noStream.getMessage());
        IllegalArgumentException from = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(NATS.get().url("x") + "?stream=S&from=yesterday"));
        assertTrue(from.getMessage().startsWith("endpoint '" + NATS.get().url("x") + "?stream=S&from=yesterday': from="
                + "yesterday (expected start, end,"), from.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openSender(NATS.get().url("x") + "?stream=a.b"));
        assertTrue(name.getMessage().contains("stream 'a.b' (expected a name without spaces"), name.getMessage());
    }
}
