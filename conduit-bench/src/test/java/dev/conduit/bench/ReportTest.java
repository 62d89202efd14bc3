package dev.conduit.bench;

import dev.conduit.bench.Measurement.Kind;
import dev.conduit.bench.Measurement.Latency;
import dev.conduit.bench.Measurement.Throughput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class ReportTest {
    private static Measurement row(String transport, Kind kind, long p50, long perSecond, long batchedPerSecond) {
        return new Measurement(transport, kind, 64, new Latency(p50, p50, p50 * 2, p50 * 3, p50 * 4, 1000),
                new Throughput(perSecond, 1_000_000_000L, 64), new Throughput(batchedPerSecond, 1_000_000_000L, 64));
    }

    private static final Machine MACHINE = new Machine("cpu", 2, "Linux", "JDK 25", "2026-11-22T00:00Z", true);

    @Test
    void ratiosCompareWithTheSameMechanismAndTheBestPeer() {
        Measurement unix = row("unix", Kind.CONDUIT, 11_000, 500_000, 4_000_000);
        Report report = new Report(List.of(unix, row("c-uds", Kind.BASELINE, 10_000, 600_000, 5_000_000),
                row("raw-uds", Kind.PEER, 20_000, 300_000, 300_000), row("aeron", Kind.PEER, 1_000, 1_000_000,
                        2_000_000)), MACHINE, "conduit bench");
        Map<String, Double> r = report.ratios(unix);
        assertEquals(1.1, r.get("ratio_to_baseline"), 1e-9);
        assertEquals(500_000.0 / 600_000, r.get("throughput_ratio_to_baseline"), 1e-9);
        assertEquals(0.8, r.get("batched_ratio_to_baseline"), 1e-9);
        assertEquals(11.0, r.get("ratio_to_best_peer"), 1e-9);
        assertEquals(2.0, r.get("throughput_ratio_to_best_peer"), 1e-9);
    }

    @Test
    void theLogIsComparedWithChronicleNotWithTheBestPeer() {
        Measurement log = row("log?spin=0", Kind.CONDUIT, 3_000, 400_000, 500_000);
        Report report = new Report(List.of(log, row("chronicle", Kind.PEER, 2_000, 1_000_000, 1_000_000),
                row("aeron", Kind.PEER, 1_000, 8_000_000, 9_000_000)), MACHINE, "conduit bench");
        Map<String, Double> r = report.ratios(log);
        assertEquals(1.5, r.get("ratio_to_peer"), 1e-9);
        assertEquals(0.5, r.get("throughput_ratio_to_peer"), 1e-9);
        assertEquals(null, r.get("ratio_to_best_peer"));
        assertTrue(report.table().lines().anyMatch(l -> l.startsWith("log?spin=0") && l.endsWith("1.50x     0.50x")),
                report.table());
        Map<String, Double> alone = new Report(List.of(log, row("aeron", Kind.PEER, 1_000, 8_000_000, 9_000_000)),
                MACHINE, "conduit bench").ratios(log);
        assertEquals(3.0, alone.get("ratio_to_best_peer"), 1e-9);
    }

    @Test
    void rowsWithOptionsOrOnVirtualThreadsKeepTheirNameAndTheirBaseline() {
        Measurement acked = row("unix?protocol=conduit&ack=true [virtual]", Kind.CONDUIT, 22_000, 250_000, 2_000_000);
        Report report = new Report(List.of(acked, row("c-uds", Kind.BASELINE, 10_000, 600_000, 5_000_000)), MACHINE,
                "conduit bench");
        assertEquals(2.2, report.ratios(acked).get("ratio_to_baseline"), 1e-9);
        assertTrue(report.table().lines().anyMatch(l -> l.startsWith("unix?protocol=conduit&ack=true [virtual]  "
                + "  64 B      22.0      44.0 ")), report.table());
        assertTrue(report.json().contains("{\"transport\": \"unix?protocol=conduit&ack=true [virtual]\", \"kind\":"
                + " \"conduit\", \"size\": 64,"), report.json());
    }

    @Test
    void rowsWithoutABaselineHaveNoRatioToIt() {
        Measurement tcp = row("tcp", Kind.CONDUIT, 30_000, 1, 1);
        Report report = new Report(List.of(tcp), MACHINE, "conduit bench");
        assertEquals(Map.of(), report.ratios(tcp));
        assertTrue(report.table().lines().anyMatch(l -> l.matches("tcp +64 B +30\\.0 +60\\.0 .* - +- +- +-")),
                report.table());
    }

    @Test
    void jsonHoldsTheMachineTheCommandAndOneRecordPerRow() {
        Report report = new Report(List.of(row("unix", Kind.CONDUIT, 11_000, 500_000, 4_000_000),
                row("c-uds", Kind.BASELINE, 10_000, 600_000, 5_000_000)), MACHINE, "conduit bench --size \"64\"");
        String json = report.json();
        assertTrue(json.startsWith("{\n  \"machine\": {\"cpu\": \"cpu\", \"cpus\": 2, \"os\": \"Linux\", \"jdk\": \"JDK 25\","
                + " \"date\": \"2026-11-22T00:00Z\", \"pinned\": true,"
                + " \"stdio_child_cpu\": \"the other CPU from its client's\"},\n  \"command\": \"conduit bench --size \\\"64\\\"\""),
                json);
        assertTrue(json.contains("{\"transport\": \"unix\", \"kind\": \"conduit\", \"size\": 64, \"p50_ns\": 11000,"
                + " \"p90_ns\": 11000, \"p99_ns\": 22000, \"p999_ns\": 33000, \"max_ns\": 44000, \"round_trips\": 1000,"
                + " \"msgs_per_s\": 5.000e+05, \"mb_per_s\": 32.00, \"batched_msgs_per_s\": 4.000e+06,"
                + " \"batched_mb_per_s\": 256.0, \"baseline\": \"c-uds\", \"ratio_to_baseline\": 1.100,"), json);
        assertTrue(json.contains("{\"transport\": \"c-uds\", \"kind\": \"baseline\""), json);
    }
}
