package dev.conduit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows beyond a bare transport: endpoint options of their own, Conduit sides on virtual threads,
 * and a side that stalls, made to on purpose. Smoke-sized runs; nothing here is timed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HarnessRowsTest {
    private static Harness.Plan plan(boolean virtual, Duration stall) {
        return new Harness.Plan(List.of(), List.of(64), Duration.ofSeconds(1), Duration.ZERO, 200, "", virtual,
                stall);
    }

    @Test
    void aRowWithOptionsIsMeasuredUnderItsOwnName() throws Exception {
        try (Harness harness = new Harness()) {
            Measurement m = harness.measure("unix?spin=0", 64, plan(false, Harness.Plan.STALL_TIMEOUT));
            assertEquals("unix?spin=0", m.transport());
            assertEquals(200, m.latency().count());
            assertEquals(200, m.batched().messages());
        }
    }

    @Test
    void virtualThreadRowsSaySo() throws Exception {
        try (Harness harness = new Harness()) {
            for (String row : List.of("unix", "mem")) {
                Measurement m = harness.measure(row, 64, plan(true, Harness.Plan.STALL_TIMEOUT));
                assertEquals(row + " [virtual]", m.transport());
                assertEquals(200, m.throughput().messages());
            }
        }
    }

    @Test
    void aStalledSideIsGivenUpAfterABoundedWaitWithItsReason() throws Exception {
        try (Harness harness = new Harness(List.of("-D" + Session.STALL_PROPERTY + "=3"))) {
            Harness.Stalled e = assertThrows(Harness.Stalled.class,
                    () -> harness.measure("unix", 64, plan(false, Duration.ofSeconds(1))));
            assertEquals("unix 64 B: stalled: phase 3 of 5 (throughput) said nothing for 2 s (its planned time plus"
                    + " the stall time-out of 1 s); skipped", e.getMessage());
            try (Stream<Path> left = Files.list(harness.directory())) {
                assertEquals(0, left.count(), "run directories left behind");
            }
            assertFalse(ProcessHandle.current().children().anyMatch(p -> p.info().commandLine()
                    .orElse("").contains(BenchPeer.class.getName())), "bench children left running");
            assertTrue(e instanceof java.io.IOException);
        }
    }
}
