package dev.conduit;

import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conduit's JFR events, recorded to a file and read back with their fields. */
@Timeout(60)
final class JfrEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> EVENTS = List.of("dev.conduit.Connect", "dev.conduit.Accept",
            "dev.conduit.Close", "dev.conduit.HandshakeFailure", "dev.conduit.FrameTooLong",
            "dev.conduit.SendBlocked", "dev.conduit.LogSegmentRollOver");

    private TempDir dir;
    private Recording recording;

    @BeforeEach
    void record() throws Exception {
        dir = new TempDir();
        recording = new Recording();
        for (String event : EVENTS) {
            recording.enable(event).withThreshold(Duration.ZERO).withStackTrace();
        }
        recording.start();
    }

    @AfterEach
    void cleanUp() throws Exception {
        recording.close();
        dir.close();
    }

    /** Stops the recording and reads its Conduit events back, by name. */
    private Map<String, List<RecordedEvent>> recorded() throws Exception {
        recording.stop();
        Path file = dir.resolve("rec.jfr");
        recording.dump(file);
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName()
                .startsWith("dev.conduit.")).collect(Collectors.groupingBy(e -> e.getEventType().getName()));
    }

    @Test
    void connectAcceptAndCloseCarryTheEndpointAndCounters() throws Exception {
        String endpoint = "unix:" + dir.resolve("a.sock");
        try (Listener listener = Conduit.listen(endpoint)) {
            Connection client = Conduit.connect(endpoint);
            Connection server = listener.accept(WAIT);
            client.send("hello");
            assertEquals("hello", server.receiveString(WAIT));
            client.close();
            server.close();
        }
        assertThrows(IOException.class, () -> Conduit.connect("unix:" + dir.resolve("nobody.sock")));
        Map<String, List<RecordedEvent>> events = recorded();
        List<RecordedEvent> connects = events.getOrDefault("dev.conduit.Connect", List.of());
        assertEquals(2, connects.size(), connects.toString());
        assertEquals(endpoint, connects.get(0).getString("endpoint"));
        assertEquals("SocketConnection[" + endpoint + "]", connects.get(0).getString("connection"));
        assertNull(connects.get(0).getString("failure"));
        assertNull(connects.get(1).getString("connection"));
        assertTrue(connects.get(1).getString("failure").contains("nobody.sock"), connects.get(1).getString("failure"));
        RecordedEvent accept = events.getOrDefault("dev.conduit.Accept", List.of()).getFirst();
        assertEquals(endpoint, accept.getString("endpoint"));
        List<RecordedEvent> closes = events.getOrDefault("dev.conduit.Close", List.of());
        assertEquals(2, closes.size(), closes.toString());
        RecordedEvent clientClose = closes.getFirst();
        assertEquals(endpoint, clientClose.getString("connection"));
        assertEquals(1, clientClose.getLong("messagesOut"));
        assertEquals(5, clientClose.getLong("bytesOut"));
        assertEquals(1, closes.get(1).getLong("messagesIn"));
        assertFalse(clientClose.getBoolean("lost"));
    }

    @Test
    void aFailedHandshakeAndFramesTooLongAreRecorded() throws Exception {
        String keyed = "unix:" + dir.resolve("k.sock");
        String socket = "unix:" + dir.resolve("s.sock");
        String small = socket + "?maxFrame=100";
        try (Listener listener = Conduit.listen(keyed + "?authkey=right");
             Listener smallListener = Conduit.listen(small)) {
            assertThrows(AuthenticationException.class, () -> Conduit.connect(keyed + "?authkey=wrong"));
            Waits.until("the failed handshake is counted", WAIT, () -> listener.counters().handshakeFailures() == 1);
            try (Connection big = Conduit.connect(socket + "?maxFrame=1000");
                 Connection server = smallListener.accept(WAIT)) {
                assertThrows(FrameTooLongException.class, () -> server.send(new byte[101]));
                big.send(new byte[500]);
                assertThrows(FrameTooLongException.class, () -> server.receive(WAIT));
            }
        }
        Map<String, List<RecordedEvent>> events = recorded();
        RecordedEvent failure = events.getOrDefault("dev.conduit.HandshakeFailure", List.of()).getFirst();
        assertEquals(keyed + "?authkey=***", failure.getString("endpoint"));
        assertNotNull(failure.getString("failure"));
        List<RecordedEvent> tooLong = events.getOrDefault("dev.conduit.FrameTooLong", List.of());
        assertEquals(List.of("out 101 100", "in 500 100"), tooLong.stream().map(e -> e.getString("direction") + " "
                + e.getLong("length") + " " + e.getLong("maximum")).toList());
    }

    @Test
    void aBlockedSendAndASegmentRollOverAreRecorded() throws Exception {
        String endpoint = "unix:" + dir.resolve("b.sock");
        try (Listener listener = Conduit.listen(endpoint);
             Connection client = Conduit.connect(endpoint);
             Connection server = listener.accept(WAIT)) {
            byte[] chunk = new byte[4096];
            int sent = 0;
            while (client.trySend(chunk)) {
                sent++;
            }
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    client.send(chunk);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Waits.until("the sender waits", WAIT, () -> Waits.isIn(sender, "SocketConnection", "awaitWritable"));
            for (int i = 0; i <= sent; i++) {
                assertNotNull(server.receive(WAIT));
            }
            sender.join(WAIT);
        }
        try (MessageSender log = Conduit.openSender("log:" + dir.resolve("log") + "?segmentSize=64k")) {
            for (int i = 0; i < 40; i++) {
                log.send(new byte[4000]);
            }
        }
        Map<String, List<RecordedEvent>> events = recorded();
        RecordedEvent blocked = events.getOrDefault("dev.conduit.SendBlocked", List.of()).getFirst();
        assertEquals(endpoint, blocked.getString("connection"));
        assertEquals("send", blocked.getString("call"));
        assertTrue(blocked.getDuration().toNanos() > 0, blocked.toString());
        List<RecordedEvent> segments = events.getOrDefault("dev.conduit.LogSegmentRollOver", List.of());
        assertTrue(segments.size() >= 2, segments.toString());
        assertTrue(segments.get(1).getString("segment").startsWith(dir.resolve("log").toString()),
                segments.get(1).toString());
        assertTrue(segments.get(1).getLong("position") > 0, segments.get(1).toString());
    }
}
