package dev.conduit.bench.baseline;

import dev.conduit.bench.Measurement;
import dev.conduit.bench.baseline.CBaselines.Availability;
import dev.conduit.bench.baseline.CBaselines.Iterations;
import dev.conduit.bench.baseline.CBaselines.Mechanism;
import dev.conduit.bench.baseline.CBaselines.Mode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The C baselines, compiled with the machine's gcc; skipped, with the reason, where there is none. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CBaselinesTest {
    private static final Iterations TINY = new Iterations(200, 50);
    private static final Map<Mode, Iterations> EVERY_MODE = Map.of(Mode.PINGPONG, TINY, Mode.THROUGHPUT, TINY,
            Mode.BATCHED, TINY);
    private static final Path TMP = Path.of(System.getenv().getOrDefault("TMPDIR", "").isEmpty()
            ? "/tmp" : System.getenv("TMPDIR"));
    private static final Path SYSV_QUEUES = Path.of("/proc/sysvipc/msg");

    private static Path workDir;
    private static Path binary;

    @BeforeAll
    static void compile() throws IOException {
        workDir = Files.createTempDirectory("cbaselines");
        Availability availability = CBaselines.prepare(workDir);
        if (availability instanceof Availability.Unavailable(String reason)) {
            System.out.println("CBaselinesTest skipped: " + reason);
            assumeTrue(false, reason);
        }
        binary = ((Availability.Ready) availability).binary();
    }

    @AfterAll
    static void removeWorkDir() throws IOException {
        if (workDir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(workDir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mechanism.class)
    void measuresEveryModeWithSaneFigures(Mechanism mechanism) throws IOException {
        for (int size : new int[] {64, 4096}) {
            Measurement m = CBaselines.run(binary, mechanism, size, EVERY_MODE);
            String row = mechanism.transport() + " size=" + size + ": " + m;
            assertEquals(mechanism.transport(), m.transport(), row);
            assertEquals(Measurement.Kind.BASELINE, m.kind(), row);
            assertEquals(size, m.size(), row);
            Measurement.Latency latency = m.latency();
            assertNotNull(latency, row);
            assertEquals(TINY.count(), latency.count(), row);
            assertTrue(latency.p50() > 0, row);
            assertTrue(latency.p50() <= latency.p90() && latency.p90() <= latency.p99(), row);
            assertTrue(latency.p99() <= latency.p999() && latency.p999() <= latency.max(), row);
            for (Measurement.Throughput t : new Measurement.Throughput[] {m.throughput(), m.batched()}) {
                assertNotNull(t, row);
                assertEquals(TINY.count(), t.messages(), row);
                assertEquals(size, t.size(), row);
                assertTrue(t.nanos() > 0 && t.messagesPerSecond() > 0 && t.megabytesPerSecond() > 0, row);
            }
        }
    }

    @Test
    void runsOnlyTheModesAsked() throws IOException {
        Measurement m = CBaselines.run(binary, Mechanism.PIPE, 64, Map.of(Mode.THROUGHPUT, TINY));
        assertEquals(null, m.latency());
        assertNotNull(m.throughput());
        assertEquals(null, m.batched());
    }

    @Test
    void saysWhenThereIsNothingToBatch() throws IOException {
        Map<String, String> sysv = CBaselines.runOnce(binary, Mechanism.SYSV, Mode.BATCHED, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of());
        assertEquals("same-as-throughput", sysv.get("batched"));
        Map<String, String> shm = CBaselines.runOnce(binary, Mechanism.SHM, Mode.BATCHED, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of());
        // 64 KiB of 72-byte records (4-byte length, payload, padding to 8) per publication.
        assertEquals(Integer.toString(64 * 1024 / 72), shm.get("records_per_publication"));
        Map<String, String> uds = CBaselines.runOnce(binary, Mechanism.UDS, Mode.BATCHED, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of());
        assertEquals(Integer.toString(64 * 1024 / (4 + 64)), uds.get("frames_per_write"));
    }

    @Test
    void theFutexRingSleepsAtOnceWhenToldToSpinZero() throws IOException {
        Map<String, String> sleeping = CBaselines.runOnce(binary, Mechanism.SHM_FUTEX, Mode.PINGPONG, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of(CBaselines.SPIN_NS_VARIABLE, "0"));
        long rounds = TINY.count() + TINY.warmup();
        // Two receivers per round trip; each sleeps unless the message beat it there.
        assertTrue(Long.parseLong(sleeping.get("futex_waits")) >= rounds,
                "round trips sleep: " + sleeping.get("futex_waits") + " waits for " + rounds + " round trips");
    }

    @Test
    void rejectsSizeBelowEightQuotingTheProgram() {
        IOException e = assertThrows(IOException.class,
                () -> CBaselines.run(binary, Mechanism.UDS, 4, Map.of(Mode.PINGPONG, TINY)));
        assertTrue(e.getMessage().startsWith("c-uds pingpong size=4: conduit_baseline exited with status 1"),
                e.getMessage());
        assertTrue(e.getMessage().contains("conduit_baseline: size 4 out of range (expected 8..1048576)"),
                e.getMessage());
    }

    @Test
    void sysvRefusesPayloadsAboveMsgmax() throws IOException {
        // Not Files.readString: on procfs (size 0) it returns only the first byte here.
        int msgmax = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/msgmax")).getFirst().strip());
        assumeTrue(msgmax < 1 << 20, "msgmax " + msgmax + " allows every size");
        IOException e = assertThrows(IOException.class,
                () -> CBaselines.run(binary, Mechanism.SYSV, msgmax + 1, Map.of(Mode.THROUGHPUT, TINY)));
        assertTrue(e.getMessage().contains("size " + (msgmax + 1) + " exceeds the kernel's System V message limit"
                + " msgmax=" + msgmax), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Mechanism.class)
    void receiverNoticesACorruptedMessage(Mechanism mechanism) {
        for (Mode mode : List.of(Mode.PINGPONG, Mode.THROUGHPUT)) {
            IOException e = assertThrows(IOException.class, () -> CBaselines.runOnce(binary, mechanism, mode, 64,
                    TINY, CBaselines.DEFAULT_TIMEOUT, Map.of("CONDUIT_BASELINE_CORRUPT", "57")));
            assertTrue(e.getMessage().contains("message 57: CRC32C 0x"), e.getMessage());
            assertTrue(e.getMessage().contains("of bytes 8..63 does not match"), e.getMessage());
        }
    }

    @Test
    void leavesNoQueueOrFifoBehind() throws IOException {
        Set<String> queuesBefore = sysvQueues();
        Set<Path> dirsBefore = baselineDirs();
        Map<String, String> sysv = CBaselines.runOnce(binary, Mechanism.SYSV, Mode.PINGPONG, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of());
        Map<String, String> fifo = CBaselines.runOnce(binary, Mechanism.FIFO, Mode.THROUGHPUT, 64, TINY,
                CBaselines.DEFAULT_TIMEOUT, Map.of());
        Set<String> queuesAfter = sysvQueues();
        for (String id : sysv.get("sysv_queues").split(",")) {
            assertFalse(queuesAfter.contains(id), "queue " + id + " still in " + SYSV_QUEUES);
        }
        assertFalse(Files.exists(Path.of(fifo.get("fifo_dir"))), fifo.get("fifo_dir") + " still exists");
        assertNothingNew(queuesBefore, dirsBefore);
        try (Stream<Path> files = Files.list(workDir)) {
            assertEquals(Set.of(CBaselines.SOURCE, CBaselines.BINARY),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mechanism.class, names = {"SYSV", "FIFO", "SHM_FUTEX"})
    void killsARunThatOutlastsItsTimeoutAndCleansUp(Mechanism mechanism) throws IOException {
        Set<String> queuesBefore = sysvQueues();
        Set<Path> dirsBefore = baselineDirs();
        IOException e = assertThrows(IOException.class, () -> CBaselines.runOnce(binary, mechanism,
                Mode.THROUGHPUT, 64, new Iterations(1_000_000_000_000L, 0), Duration.ofMillis(500), Map.of()));
        assertTrue(e.getMessage().contains(" killed after 500 ms without finishing:"), e.getMessage());
        assertTrue(e.getMessage().contains("conduit_baseline: terminated by a signal; cleaned up"), e.getMessage());
        assertNothingNew(queuesBefore, dirsBefore);
    }

    @Test
    void reportsMissingGccAsAReason() throws IOException {
        Path empty = Files.createDirectory(workDir.resolve("empty-path"));
        try {
            Availability a = CBaselines.prepare(workDir.resolve("unused"), empty.toString());
            assertEquals(new Availability.Unavailable("gcc not found on PATH; C baselines skipped"), a);
            assertFalse(Files.exists(workDir.resolve("unused")));
        } finally {
            Files.delete(empty);
        }
    }

    @Test
    void rejectsOutputThatIsNotOneLineOfPairs() {
        IOException twoLines = assertThrows(IOException.class, () -> BaselineProcess.parse("a=1\nb=2\n"));
        assertEquals("expected one line of key=value pairs, got 2 lines:\n  a=1\n  b=2", twoLines.getMessage());
        IOException noEquals = assertThrows(IOException.class, () -> BaselineProcess.parse("mech=uds oops"));
        assertEquals("'oops' is not a key=value pair in: mech=uds oops", noEquals.getMessage());
        IOException twice = assertThrows(IOException.class, () -> BaselineProcess.parse("a=1 a=2"));
        assertEquals("key a appears twice in: a=1 a=2", twice.getMessage());
        IOException notNumber = assertThrows(IOException.class,
                () -> BaselineProcess.number(BaselineProcess.parse("p50_ns=fast"), "p50_ns"));
        assertEquals("p50_ns=fast is not a non-negative integer", notNumber.getMessage());
    }

    @Test
    void namesMechanismsAsTheProgramDoes() {
        for (Mechanism m : Mechanism.values()) {
            assertEquals(m, Mechanism.of(m.id()));
            assertEquals("c-" + m.id(), m.transport());
        }
        assertEquals("shm-futex", Mechanism.SHM_FUTEX.id());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mechanism.of("tcp"));
        assertEquals("mechanism: tcp (expected uds, pipe, fifo, sysv, shm or shm-futex)", e.getMessage());
        assertInstanceOf(IllegalArgumentException.class,
                assertThrows(IllegalArgumentException.class, () -> new Iterations(0, 0)));
    }

    private static void assertNothingNew(Set<String> queuesBefore, Set<Path> dirsBefore) throws IOException {
        Set<String> queues = sysvQueues();
        queues.removeAll(queuesBefore);
        assertEquals(Set.of(), queues, "System V queues left behind");
        Set<Path> dirs = baselineDirs();
        dirs.removeAll(dirsBefore);
        assertEquals(Set.of(), dirs, "FIFO directories left behind");
    }

    /** @return the msqid column of /proc/sysvipc/msg */
    private static Set<String> sysvQueues() throws IOException {
        return Files.readAllLines(SYSV_QUEUES).stream().skip(1).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.split(" +")[1]).collect(Collectors.toSet());
    }

    private static Set<Path> baselineDirs() throws IOException {
        try (Stream<Path> entries = Files.list(TMP)) {
            return entries.filter(p -> p.getFileName().toString().startsWith("conduit-baseline-"))
                    .collect(Collectors.toSet());
        }
    }
}
