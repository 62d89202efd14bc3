package dev.conduit.bench;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke run of the two-process harness: a few hundred messages per transport and peer, so
 * the default test suite proves every row of {@code conduit bench} still runs and verifies.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HarnessSmokeTest {
    static final List<String> ALL = Stream.concat(BenchPeer.CONDUIT.stream(), BenchPeer.PEERS.stream()).toList();
    private static Harness harness;

    @BeforeAll
    static void setUp() throws IOException {
        harness = new Harness();
    }

    @AfterAll
    static void tearDown() {
        harness.close();
    }

    private static Harness.Plan smoke(String transport) {
        return new Harness.Plan(List.of(transport), List.of(64), Duration.ofSeconds(5), Duration.ZERO, 300, "");
    }

    @ParameterizedTest
    @FieldSource("ALL")
    void measuresEveryTransportAndPeer(String transport) throws Exception {
        Optional<String> why = Harness.unsupported(transport, 64);
        Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: " + transport + " " + why.orElse(""));
        Measurement m;
        try {
            m = harness.measure(transport, 64, smoke(transport));
        } catch (Harness.Stalled e) {
            // A peer that stalls (JeroMQ sometimes does) is reported and skipped, as conduit bench does.
            Assumptions.abort(e.getMessage());
            return;
        }
        assertEquals(transport, m.transport());
        assertEquals(300, m.latency().count());
        assertTrue(m.latency().p50() > 0 && m.latency().p50() <= m.latency().p99()
                && m.latency().p99() <= m.latency().max(), m.latency().toString());
        assertEquals(300, m.throughput().messages());
        assertEquals(300, m.batched().messages());
        assertTrue(m.throughput().messagesPerSecond() > 0);
        try (Stream<Path> left = Files.list(harness.directory())) {
            assertEquals(0, left.count(), "run directories left behind");
        }
    }

    @Test
    void aWrongPayloadFailsLoudly() {
        Payloads payloads = new Payloads(64);
        byte[] m = payloads.next(7).clone();
        payloads.verify(m, 64, 7);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> payloads.verify(m, 64, 8));
        assertEquals("message 8: carries sequence number 7 (lost, duplicated or reordered)", e.getMessage());
        m[40] ^= 1;
        e = assertThrows(IllegalStateException.class, () -> payloads.verify(m, 64, 7));
        assertEquals("message 7: checksum mismatch (corrupted)", e.getMessage());
    }

    @Test
    void aWrongPayloadFailsLoudlyWhereItLies() {
        Payloads payloads = new Payloads(64);
        ByteBuffer direct = ByteBuffer.allocateDirect(70).order(ByteOrder.LITTLE_ENDIAN);
        direct.put(3, payloads.next(7)).position(3).limit(67);
        ByteBuffer view = direct.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        payloads.verify(view, 7);
        assertEquals(3, view.position(), "verify moved the view");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> payloads.verify(view, 8));
        assertEquals("message 8: carries sequence number 7 (lost, duplicated or reordered)", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> payloads.verify(view.duplicate().limit(66), 7));
        assertEquals("message 7: length 63, expected 64", e.getMessage());
        direct.put(40, (byte) (direct.get(40) ^ 1));
        e = assertThrows(IllegalStateException.class, () -> payloads.verify(view, 7));
        assertEquals("message 7: checksum mismatch (corrupted)", e.getMessage());
    }
}
