package dev.conduit.bench;

import dev.conduit.bench.Measurement.Kind;
import dev.conduit.bench.Measurement.Throughput;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The rows of one run with their ratios: to the C baseline of the same mechanism, and to the
 * best peer at the same size. Latency ratios are Conduit over the other (below 1 is better);
 * throughput ratios are Conduit over the other (above 1 is better).
 */
public final class Report {
    /** Which C baseline each transport is compared with: the same kernel mechanism. */
    private static final Map<String, String> BASELINES = Map.of(
            "unix", "c-uds", "pipe", "c-uds", "raw-uds", "c-uds", "stdio", "c-pipe", "aeron", "c-shm",
            "fifo", "c-fifo", "mq", "c-sysv", "shm", "c-shm", "zipc", "c-shm");

    /**
     * The peer a transport is compared with in the peer columns when the run has it, rather than
     * the best peer: the one that does the same job ({@code log}, a durable log, with Chronicle
     * Queue, not with Aeron's in-memory IPC).
     */
    private static final Map<String, String> PEERS = Map.of("log", "chronicle");

    private final List<Measurement> rows;
    private final Machine machine;
    private final String command;

    /**
     * @param rows    every measurement of the run, baselines and peers included
     * @param machine the machine
     * @param command the command that produced the run, for reproducing it
     */
    public Report(List<Measurement> rows, Machine machine, String command) {
        this.rows = List.copyOf(rows);
        this.machine = machine;
        this.command = command;
    }

    /**
     * @param transport a row's name: a transport, perhaps with options and {@code [virtual]}
     *                  ({@code unix?protocol=conduit [virtual]})
     * @return the C baseline for its transport, if one measures the same mechanism
     */
    public static Optional<String> baselineFor(String transport) {
        return Optional.ofNullable(BASELINES.get(transportOf(transport)));
    }

    /** @return a row's transport, without its options and {@code [virtual]} */
    private static String transportOf(String row) {
        int end = row.length();
        for (char c : new char[] {'?', ' '}) {
            end = row.indexOf(c) < 0 ? end : Math.min(end, row.indexOf(c));
        }
        return row.substring(0, end);
    }

    private Optional<Measurement> find(String transport, int size) {
        return rows.stream().filter(r -> r.transport().equals(transport) && r.size() == size).findFirst();
    }

    private Optional<Measurement> baseline(Measurement row) {
        return baselineFor(row.transport()).flatMap(b -> find(b, row.size()));
    }

    private OptionalDouble bestPeerP50(int size) {
        return rows.stream().filter(r -> r.kind() == Kind.PEER && r.size() == size && r.latency() != null)
                .mapToDouble(r -> r.latency().p50()).min();
    }

    private OptionalDouble bestPeerRate(int size) {
        return rows.stream().filter(r -> r.kind() == Kind.PEER && r.size() == size && r.throughput() != null)
                .mapToDouble(r -> best(r).messagesPerSecond()).max();
    }

    /** @return the better of a row's two throughputs */
    private static Throughput best(Measurement r) {
        if (r.batched() == null) {
            return r.throughput();
        }
        if (r.throughput() == null) {
            return r.batched();
        }
        return r.batched().messagesPerSecond() > r.throughput().messagesPerSecond() ? r.batched() : r.throughput();
    }

    /** @return the ratios of one row, keyed as in the JSON */
    Map<String, Double> ratios(Measurement row) {
        java.util.LinkedHashMap<String, Double> ratios = new java.util.LinkedHashMap<>();
        baseline(row).ifPresent(b -> {
            if (row.latency() != null && b.latency() != null) {
                ratios.put("ratio_to_baseline", (double) row.latency().p50() / b.latency().p50());
            }
            if (row.throughput() != null && b.throughput() != null) {
                ratios.put("throughput_ratio_to_baseline",
                        row.throughput().messagesPerSecond() / b.throughput().messagesPerSecond());
            }
            if (row.batched() != null && b.batched() != null) {
                ratios.put("batched_ratio_to_baseline",
                        row.batched().messagesPerSecond() / b.batched().messagesPerSecond());
            }
        });
        Optional<Measurement> peer = Optional.ofNullable(PEERS.get(transportOf(row.transport()))).flatMap(p -> find(p, row.size()));
        if (peer.isPresent()) {
            Measurement p = peer.get();
            if (row.latency() != null && p.latency() != null) {
                ratios.put("ratio_to_peer", (double) row.latency().p50() / p.latency().p50());
            }
            if (row.throughput() != null && p.throughput() != null) {
                ratios.put("throughput_ratio_to_peer", best(row).messagesPerSecond() / best(p).messagesPerSecond());
            }
        } else if (row.kind() == Kind.CONDUIT) {
            bestPeerP50(row.size()).ifPresent(p -> ratios.put("ratio_to_best_peer", row.latency().p50() / p));
            bestPeerRate(row.size()).ifPresent(p -> ratios.put("throughput_ratio_to_best_peer",
                    best(row).messagesPerSecond() / p));
        }
        return ratios;
    }

    private List<Measurement> ordered() {
        List<Measurement> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingInt(Measurement::size).thenComparing(Measurement::kind)
                .thenComparing(Measurement::transport));
        return sorted;
    }

    /** @return the table people read, headed by the machine and the command */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("machine: ").append(machine.summary()).append('\n');
        sb.append("command: ").append(command).append("\n\n");
        int width = Math.max(11, rows.stream().mapToInt(r -> r.transport().length()).max().orElse(0));
        String format = "%-" + width + "s %7s %9s %9s %12s %9s %13s %8s %8s %8s %9s%n";
        sb.append(String.format(Locale.ROOT, format, "transport", "size", "p50 µs", "p99 µs", "msgs/s", "MB/s",
                "batched m/s", "p50/C", "m/s÷C", "p50/peer", "m/s÷peer"));
        for (Measurement r : ordered()) {
            Map<String, Double> ratio = ratios(r);
            sb.append(String.format(Locale.ROOT, format, r.transport(), size(r.size()),
                    r.latency() == null ? "-" : micros(r.latency().p50()),
                    r.latency() == null ? "-" : micros(r.latency().p99()),
                    r.throughput() == null ? "-" : count(r.throughput().messagesPerSecond()),
                    r.throughput() == null ? "-" : String.format(Locale.ROOT, "%.1f", best(r).megabytesPerSecond()),
                    r.batched() == null ? "-" : count(r.batched().messagesPerSecond()),
                    times(ratio.get("ratio_to_baseline")), times(ratio.get("batched_ratio_to_baseline")),
                    times(ratio.getOrDefault("ratio_to_peer", ratio.get("ratio_to_best_peer"))),
                    times(ratio.getOrDefault("throughput_ratio_to_peer", ratio.get("throughput_ratio_to_best_peer")))));
        }
        sb.append("\nmsgs/s: one send per message; MB/s: payload bytes per second in the faster of the two"
                + " throughput phases (usually the batched one);"
                + " p50/C: Conduit p50 over the C baseline's for the same mechanism (lower is better);"
                + " m/s÷C: batched throughput over the C baseline's batched throughput (higher is better);"
                + " peer columns compare with the best peer at that size (log: with chronicle, when it ran).\n");
        return sb.toString();
    }

    /** @return the run as JSON: the machine, the command, and one record per row */
    public String json() {
        StringBuilder sb = new StringBuilder("{\n  \"machine\": {");
        sb.append("\"cpu\": ").append(quote(machine.cpu())).append(", \"cpus\": ").append(machine.cpus())
                .append(", \"os\": ").append(quote(machine.os())).append(", \"jdk\": ").append(quote(machine.jdk()))
                .append(", \"date\": ").append(quote(machine.date())).append(", \"pinned\": ").append(machine.pinned())
                .append(", \"stdio_child_cpu\": ")
                .append(quote(machine.pinned() ? "the other CPU from its client's" : "unpinned"))
                .append("},\n  \"command\": ").append(quote(command)).append(",\n  \"rows\": [");
        String separator = "\n    ";
        for (Measurement r : ordered()) {
            sb.append(separator).append(row(r));
            separator = ",\n    ";
        }
        return sb.append("\n  ]\n}\n").toString();
    }

    private String row(Measurement r) {
        StringBuilder sb = new StringBuilder("{\"transport\": ").append(quote(r.transport()))
                .append(", \"kind\": ").append(quote(r.kind().name().toLowerCase(Locale.ROOT)))
                .append(", \"size\": ").append(r.size());
        if (r.latency() != null) {
            sb.append(", \"p50_ns\": ").append(r.latency().p50()).append(", \"p90_ns\": ").append(r.latency().p90())
                    .append(", \"p99_ns\": ").append(r.latency().p99()).append(", \"p999_ns\": ")
                    .append(r.latency().p999()).append(", \"max_ns\": ").append(r.latency().max())
                    .append(", \"round_trips\": ").append(r.latency().count());
        }
        if (r.throughput() != null) {
            sb.append(", \"msgs_per_s\": ").append(number(r.throughput().messagesPerSecond()))
                    .append(", \"mb_per_s\": ").append(number(r.throughput().megabytesPerSecond()));
        }
        if (r.batched() != null) {
            sb.append(", \"batched_msgs_per_s\": ").append(number(r.batched().messagesPerSecond()))
                    .append(", \"batched_mb_per_s\": ").append(number(r.batched().megabytesPerSecond()));
        }
        baselineFor(r.transport()).ifPresent(b -> sb.append(", \"baseline\": ").append(quote(b)));
        ratios(r).forEach((k, v) -> sb.append(", \"").append(k).append("\": ").append(number(v)));
        return sb.append('}').toString();
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String size(int bytes) {
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    private static String count(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    private static String times(Double ratio) {
        return ratio == null ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }
}
