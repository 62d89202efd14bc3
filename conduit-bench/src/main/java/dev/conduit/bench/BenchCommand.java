package dev.conduit.bench;

import dev.conduit.Units;
import dev.conduit.bench.baseline.CBaselines;
import dev.conduit.bench.baseline.CBaselines.Availability;
import dev.conduit.bench.baseline.CBaselines.Iterations;
import dev.conduit.bench.baseline.CBaselines.Mechanism;
import dev.conduit.bench.baseline.CBaselines.Mode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code conduit bench}: round-trip latency and one-way throughput between two JVMs for each
 * transport and size, beside peer libraries and C baselines measured in the same run.
 */
@Command(name = "bench", sortOptions = false,
        description = {"Measure round-trip latency (p50 to p99.9) and one-way throughput between two processes,"
                + " for each transport and message size, with peers and C baselines from the same run.",
            "Every message is checked (sequence number and checksum); a wrong one fails the run."})
public final class BenchCommand implements Callable<Integer> {
    /**
     * The class the {@code conduit} command loads, by this name, from the bench's jars when they
     * are there (the CLI does not depend on this module, whose libraries it should not carry).
     */
    public static final String NAME = "dev.conduit.bench.BenchCommand";

    @Spec
    private CommandSpec spec;

    /** A command with every option at its default, for picocli to fill in. */
    public BenchCommand() {
    }

    @Option(names = "--transport", paramLabel = "LIST", split = ",",
            description = "Conduit transports to measure (default: all of unix, pipe, tcp, shm, stdio, mem, log);"
                    + " peers raw-uds, aeron, zmq, chronicle, jnats, jnats-js may be named too (nats, nats-js and"
                    + " the jnats peers need CONDUIT_BENCH_NATS=nats://HOST:PORT, a nats-server -js). A Conduit"
                    + " row may carry endpoint options of its own, e.g. 'unix?protocol=conduit,unix?protocol=conduit&ack=true', and is named so in the"
                    + " table and the JSON.")
    private List<String> transports = new ArrayList<>(BenchPeer.CONDUIT);

    @Option(names = "--size", paramLabel = "LIST", split = ",", description = "Payload sizes in bytes, e.g."
            + " 64,1k,64k. Default: ${DEFAULT-VALUE}.", defaultValue = "64,1024,65536")
    private List<String> sizes;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "1s",
            description = "Measured time per phase (ping-pong, throughput, batched). Default: ${DEFAULT-VALUE}.")
    private String duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s",
            description = "Warm-up per phase, not recorded: long enough for the JIT to finish on one CPU"
                    + " (ws:// needed about 2 s). Default: ${DEFAULT-VALUE}.")
    private String warmup;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "100000000",
            description = "At most N messages per phase (for quick runs).")
    private long maxMessages;

    @Option(names = "--spin", paramLabel = "DURATION",
            description = "Receive spin of the Conduit socket, shared-memory and log transports (unix, pipe,"
                    + " tcp, ws, shm, log), as their ?spin= option; 0 sleeps at once. Default: the transports' own"
                    + " (50us on 2+ CPUs).")
    private String spin;

    @Option(names = "--virtual-threads", description = "Run both processes' Conduit sides on virtual threads;"
            + " their rows are named with [virtual], e.g. 'unix [virtual]'.")
    private boolean virtualThreads;

    @Option(names = "--stall-timeout", paramLabel = "DURATION", defaultValue = "20s",
            description = "A row whose side says nothing for this long beyond a phase's planned time is reported"
                    + " as stalled and skipped. Default: ${DEFAULT-VALUE}.")
    private String stallTimeout;

    @Option(names = "--peers", description = "Also measure the peers: raw JDK Unix socket, Aeron IPC, JeroMQ,"
            + " Chronicle Queue (the log's peer, in its peer columns), the NATS client alone (jnats, jnats-js).")
    private boolean peers;

    @Option(names = "--no-baselines", negatable = true, defaultValue = "true",
            description = "Leave out the C baselines (compiled with gcc at bench time; skipped with a reason where gcc"
                    + " is missing).")
    private boolean baselines;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    private Path json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw latency percentiles as a PNG chart,"
            + " and throughput beside it as FILE-throughput.png.")
    private Path plot;

    @Option(names = "--fanout", paramLabel = "LIST", split = ",",
            description = "Instead of the pairs: one publisher and N subscribers, each a process, for Conduit's"
                    + " shmfan: and Aeron IPC side by side, e.g. 1,2,4; the first --size, --warmup, --duration per"
                    + " phase, --spin as Conduit's ?spin= on both sides, --rounds interleaved rounds of each.")
    private List<Integer> fanout;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "With --fanout: rounds of each library, interleaved; the best is reported."
                    + " Default: ${DEFAULT-VALUE}.")
    private int rounds;

    @Override
    public Integer call() throws Exception {
        if (fanout != null) {
            FanoutBench bench = new FanoutBench(size(sizes.getFirst()), Units.parseDuration(warmup),
                    Units.parseDuration(duration), rounds, spin == null ? "-" : spin, spec.commandLine().getErr());
            PrintWriter out = spec.commandLine().getOut();
            out.print(bench.run(fanout));
            out.flush();
            return 0;
        }
        Set<String> names = new LinkedHashSet<>(transports);
        if (peers) {
            names.addAll(BenchPeer.PEERS);
        }
        for (String t : names) {
            try {
                Row.parse(t);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        List<Integer> sizeList = sizes.stream().map(this::size).toList();
        Harness.Plan plan = new Harness.Plan(List.copyOf(names), sizeList, Units.parseDuration(duration),
                Units.parseDuration(warmup), maxMessages, spin == null ? "" : "spin=" + spin, virtualThreads,
                Units.parseDuration(stallTimeout));
        try (Harness harness = new Harness()) {
            PrintWriter err = spec.commandLine().getErr();
            Progress progress = new Progress(err);
            Availability c = baselines ? CBaselines.prepare(harness.directory())
                    : new Availability.Unavailable("--no-baselines");
            List<Mechanism> mechanisms = c instanceof Availability.Ready ? List.of(Mechanism.values()) : List.of();
            if (c instanceof Availability.Unavailable(String reason)) {
                err.println("conduit: C baselines skipped: " + reason);
            }
            List<Measurement> rows = new ArrayList<>();
            int total = (names.size() + mechanisms.size()) * sizeList.size();
            int done = 0;
            for (int size : sizeList) {
                for (String t : names) {
                    progress.step(t + " " + size + " B", done++, total);
                    Optional<String> why = Harness.unsupported(t, size);
                    if (why.isPresent()) {
                        err.println("conduit: " + t + " skipped at " + size + " B: " + why.get());
                        continue;
                    }
                    try {
                        rows.add(harness.measure(t, size, plan));
                    } catch (Harness.Stalled e) {
                        err.println("conduit: " + e.getMessage());
                    }
                }
                for (Mechanism m : mechanisms) {
                    progress.step(m.transport() + " " + size + " B", done++, total);
                    Optional<String> why = CBaselines.unsupported(m, size);
                    if (why.isPresent()) {
                        err.println("conduit: " + m.transport() + " skipped at " + size + " B: " + why.get());
                        continue;
                    }
                    rows.add(bestOfThree(((Availability.Ready) c).binary(), m, size, plan));
                }
            }
            progress.step("done", total, total);
            Machine machine = Machine.describe(harness.pinned());
            Report report = new Report(rows, machine, "conduit " + String.join(" ", spec.commandLine().getParseResult()
                    .originalArgs()));
            PrintWriter out = spec.commandLine().getOut();
            out.print(report.table());
            out.flush();
            if (json != null) {
                Files.writeString(json, report.json());
            }
            if (plot != null) {
                Plot.write(rows, machine.cpu() + ", " + machine.jdk(), plot);
                Plot.writeThroughput(rows, machine.cpu() + ", " + machine.jdk(), Plot.throughputFile(plot));
            }
            return 0;
        }
    }

    /**
     * Measures a C baseline three times over a third of the counts each and keeps the best of each
     * figure: the baseline is the mechanism's limit, and one time slice lost to a neighbour (4 ms
     * here) is a large part of a ring's run, which made {@code c-shm} swing threefold between runs.
     */
    private Measurement bestOfThree(Path binary, Mechanism m, int size, Harness.Plan plan) throws IOException {
        Map<Mode, Iterations> third = new java.util.EnumMap<>(Mode.class);
        iterations(m, size, plan).forEach((mode, n) -> third.put(mode, new Iterations(Math.max(1, n.count() / 3),
                n.warmup())));
        Measurement best = null;
        for (int run = 0; run < 3; run++) {
            Measurement next = CBaselines.run(binary, m, size, third, CBaselines.DEFAULT_TIMEOUT, baselineEnvironment());
            best = best == null ? next : new Measurement(best.transport(), best.kind(), size,
                    next.latency().p50() < best.latency().p50() ? next.latency() : best.latency(),
                    faster(best.throughput(), next.throughput()), faster(best.batched(), next.batched()));
        }
        return best;
    }

    private static Measurement.Throughput faster(Measurement.Throughput a, Measurement.Throughput b) {
        return b.messagesPerSecond() > a.messagesPerSecond() ? b : a;
    }

    /**
     * @return {@code --spin} for the C futex ring as well, so both sleep (or spin) alike; read as
     *         the endpoints read it (a bare number is in µs), which check it when they open
     */
    private Map<String, String> baselineEnvironment() {
        if (spin == null) {
            return Map.of();
        }
        Matcher m = Pattern.compile("([0-9]{1,12})(ns|us|µs|ms|s)?").matcher(spin);
        long nanos = !m.matches() ? Long.MAX_VALUE : Long.parseLong(m.group(1)) * switch (m.group(2) == null ? "us"
                : m.group(2)) {
            case "ns" -> 1L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            default -> 1_000L;
        };
        return Map.of(CBaselines.SPIN_NS_VARIABLE, Long.toUnsignedString(nanos));
    }

    /**
     * Counts for the C baselines, which run by count: about {@code --duration} of work each, as
     * the Java rows measure, at the rates such a mechanism reaches (tens of µs per round trip;
     * one way about a million messages or 2 GB/s for the kernel's mechanisms, 60 million messages
     * or 8 GB/s for the shared-memory rings; batched 30 million messages or 3 GB/s), capped by
     * {@code --messages}; a tenth of that again as warm-up. A shorter C run would be measured over
     * a different stretch of a shared machine's noise than the Java row beside it: sized for
     * the kernel's rates, a ring's run lasted 20 ms, and one time slice lost to a neighbour
     * halved its figure.
     */
    static Map<Mode, Iterations> iterations(Mechanism mechanism, int size, Harness.Plan plan) {
        long micros = Math.max(1, plan.duration().toNanos() / 1000);
        long pingPong = Math.min(plan.maxMessages(), Math.max(1000, micros / (20 + size / 1000)));
        long oneWay = Math.min(plan.maxMessages(), Math.max(10_000, mechanism.ring()
                ? Math.min(micros * 60, micros * 8000 / (size + 8)) : micros * 2000 / (size + 2000)));
        long batched = !mechanism.batches() ? oneWay : mechanism.ring() ? oneWay
                : Math.min(plan.maxMessages(), Math.max(10_000, Math.min(micros * 30, micros * 3000 / (size + 4))));
        return Map.of(Mode.PINGPONG, warmed(pingPong), Mode.THROUGHPUT, warmed(oneWay), Mode.BATCHED, warmed(batched));
    }

    private static Iterations warmed(long count) {
        return new Iterations(count, Math.max(1, count / 10));
    }

    private int size(String text) {
        try {
            long value = Units.parseSize(text);
            if (value >= Payloads.MIN_SIZE && value <= 16 << 20) {
                return (int) value;
            }
        } catch (IllegalArgumentException e) {
            // Reported below, with this flag's range.
        }
        throw new ParameterException(spec.commandLine(), "--size " + text + " (expected " + Payloads.MIN_SIZE
                + " bytes to 16m, e.g. 64, 1k, 64k)");
    }

    /** A one-line progress bar on standard error, redrawn in place on a terminal. */
    private static final class Progress {
        private static final int WIDTH = 30;
        private final PrintWriter err;
        private final boolean terminal = System.console() != null;

        Progress(PrintWriter err) {
            this.err = err;
        }

        void step(String label, int done, int total) {
            int filled = total == 0 ? WIDTH : done * WIDTH / total;
            String bar = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total + " " + label;
            if (terminal) {
                err.print("\r" + bar + " ".repeat(10) + (done == total ? "\n" : ""));
            } else {
                err.println(bar);
            }
            err.flush();
        }
    }
}
