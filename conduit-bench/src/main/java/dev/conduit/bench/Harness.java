package dev.conduit.bench;

import dev.conduit.bench.Measurement.Kind;
import dev.conduit.bench.Measurement.Latency;
import dev.conduit.bench.Measurement.Throughput;
import dev.conduit.bench.baseline.CBaselines;
import dev.conduit.bench.link.NatsRows;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs two-process measurements: for each transport and size, a server JVM and a client JVM
 * (each pinned to its own CPU with {@code taskset} where the machine has two), which run a
 * {@link Session} and report one {@link Measurement}. One measurement at a time; {@link #close()}
 * removes the harness's working directory.
 */
public final class Harness implements AutoCloseable {
    /**
     * What to measure.
     *
     * @param transports  Conduit transports and peers, by name ({@link BenchPeer#CONDUIT}, {@link BenchPeer#PEERS})
     * @param sizes       payload sizes in bytes, each at least {@link Payloads#MIN_SIZE}
     * @param duration    measured time per phase
     * @param warmup      warm-up time per phase, not recorded
     * @param maxMessages upper bound on messages per phase
     * @param options     endpoint options for the Conduit socket transports, e.g. {@code spin=0}; empty for none
     * @param virtualThreads whether both processes run their Conduit sides on virtual threads
     * @param stallTimeout how much longer than planned a phase may take before the run is given up
     *                     as {@link Stalled}
     */
    public record Plan(List<String> transports, List<Integer> sizes, Duration duration, Duration warmup,
            long maxMessages, String options, boolean virtualThreads, Duration stallTimeout) {
        /** The default {@link #stallTimeout}: far beyond a shared machine's hiccups, short of a hung run. */
        public static final Duration STALL_TIMEOUT = Duration.ofSeconds(20);

        /** A plan on platform threads with the default {@link #STALL_TIMEOUT}. */
        public Plan(List<String> transports, List<Integer> sizes, Duration duration, Duration warmup,
                long maxMessages, String options) {
            this(transports, sizes, duration, warmup, maxMessages, options, false, STALL_TIMEOUT);
        }
    }

    /**
     * A run given up because a side said nothing for longer than its phase's bound (JeroMQ
     * sometimes stalls for seconds), or because a peer's library cannot run here (the server
     * said {@link #UNAVAILABLE} instead of ready): a row to skip with this message as its
     * reason, not a failure.
     */
    public static final class Stalled extends IOException {
        private static final long serialVersionUID = 1L;

        Stalled(String message) {
            super(message);
        }
    }

    /** Told of each step, for a progress bar. */
    @FunctionalInterface
    public interface Progress {
        /**
         * @param label what is about to run, e.g. {@code unix 64 B}
         * @param done  steps finished so far
         * @param total all steps
         */
        void step(String label, int done, int total);
    }

    /** What a server says instead of {@code ready} when its peer library cannot run here, then why. */
    static final String UNAVAILABLE = "unavailable ";

    /** How long a child JVM may take to start and connect, on top of its first phase. */
    private static final long STARTUP_MILLIS = 60_000;
    private final Path workDir;
    private final boolean pin;
    private final List<String> jvmOptions;

    /**
     * Makes a fresh working directory for sockets and per-run files, under the system's temp directory.
     *
     * @throws IOException if it cannot be created
     */
    public Harness() throws IOException {
        this(List.of());
    }

    /** @param jvmOptions added to every child JVM's command line (tests make a side stall with them) */
    Harness(List<String> jvmOptions) throws IOException {
        this.workDir = Files.createTempDirectory("conduit-bench-");
        this.pin = canPin();
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** Removes the working directory. */
    @Override
    public void close() {
        deleteTree(workDir);
    }

    /** @return the working directory, removed by {@link #close()}; for files that go with the run */
    public Path directory() {
        return workDir;
    }

    /** @return whether children are pinned to their own CPUs */
    public boolean pinned() {
        return pin;
    }

    private static boolean canPin() {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return false;
        }
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "taskset")));
    }

    /**
     * @param transport a row as {@link Row#parse} reads it
     * @return why {@code transport} cannot carry messages of {@code size} bytes here, or empty if
     *         it can: {@code mq} is bound by the kernel's {@code msgmax}, as C's System V queues are
     */
    public static Optional<String> unsupported(String transport, int size) {
        return switch (Row.parse(transport).transport()) {
            case "mq" -> CBaselines.unsupported(CBaselines.Mechanism.SYSV, size);
            case "node-ws" -> NODE_PEER.isPresent() ? Optional.empty() : Optional.of("needs node on the PATH and "
                    + NODE_SCRIPT + " with its packages (npm ci in interop/node), under the working directory"
                    + " or the conduit jars' directories");
            case "nats", "nats-js", "jnats", "jnats-js" -> NatsRows.unavailable();
            default -> Optional.empty();
        };
    }

    /** Node's ws peer: the script of both its sides, if it and node are here. */
    private static final Path NODE_SCRIPT = Path.of("interop", "node", "ws_bench.js");
    private static final Optional<Path> NODE_PEER = findNodePeer();

    /** @return {@link #NODE_SCRIPT} above the working directory or this jar, with node_modules beside it */
    private static Optional<Path> findNodePeer() {
        List<Path> starts = new ArrayList<>(List.of(Path.of("").toAbsolutePath()));
        try {
            starts.add(Path.of(Harness.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (Exception e) {
            // No code source: the working directory alone.
        }
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                Path script = dir.resolve(NODE_SCRIPT);
                if (Files.isRegularFile(script) && Files.isDirectory(script.resolveSibling("node_modules").resolve("ws"))
                        && Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                        .anyMatch(d -> Files.isExecutable(Path.of(d, "node")))) {
                    return Optional.of(script);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Measures one row at one size.
     *
     * @param row a transport or peer, with endpoint options of its own ({@link Row#parse})
     * @return the measurement, named {@link Row#name}
     * @throws IOException naming the row and quoting the children's errors, if a run failed
     *                     (a wrong payload included) or timed out; {@link Stalled} if a side
     *                     went quiet for longer than the plan's stall time-out
     * @throws IllegalArgumentException if the row cannot be read
     */
    public Measurement measure(String row, int size, Plan plan) throws IOException, InterruptedException {
        Row parsed = Row.parse(row);
        String transport = parsed.transport();
        String name = parsed.name(plan.virtualThreads());
        Kind kind = BenchPeer.CONDUIT.contains(transport) ? Kind.CONDUIT : Kind.PEER;
        String options = parsed.options(plan.options());
        Path dir = Files.createTempDirectory(workDir, "run");
        Session.Plan session = new Session.Plan(plan.duration().toMillis(), plan.warmup().toMillis(),
                plan.maxMessages(), pin ? "1" : "-");
        Child server = null;
        Child client = null;
        try {
            String address = "-";
            if (!transport.equals("stdio") && !transport.equals("mem")) {
                server = Child.start(dir, "server", command(pin ? "1" : "-", transport, plan, "server", transport,
                        String.valueOf(size), dir.toString(), options.isEmpty() ? "-" : options));
                String ready = server.line(STARTUP_MILLIS);
                if (ready != null && ready.startsWith(UNAVAILABLE)) {
                    throw new Stalled(name + " " + size + " B: skipped: " + ready.substring(UNAVAILABLE.length()));
                }
                if (ready == null || !ready.startsWith("ready ")) {
                    throw server.failure(name + " " + size + " B: server did not get ready (said: " + ready + ")");
                }
                address = ready.substring("ready ".length());
            }
            String clientPin = pin && !transport.equals("mem") ? "0" : "-";
            client = Child.start(dir, "client", command(clientPin, transport, plan, "client", transport,
                    String.valueOf(size), address, session.toString(),
                    parsed.options().isEmpty() ? "-" : parsed.options()));
            String result = awaitResult(client, name + " " + size + " B", plan);
            client.awaitExit(name, 30_000);
            if (server != null) {
                server.awaitExit(name, 30_000);
            }
            return parse(name, kind, size, result);
        } finally {
            Child.kill(client);
            Child.kill(server);
            deleteTree(dir);
        }
    }

    /**
     * Reads the client's line per phase ({@link Session#PHASE}), each within its planned time
     * plus the stall time-out (the first also within {@link #STARTUP_MILLIS}), then its result.
     */
    private static String awaitResult(Child client, String what, Plan plan) throws IOException, InterruptedException {
        long d = plan.duration().toMillis();
        long w = plan.warmup().toMillis();
        long[] planned = {STARTUP_MILLIS + w + d, w, d, w, d};
        long stall = plan.stallTimeout().toMillis();
        for (int phase = 0; phase < planned.length; phase++) {
            String line = client.line(planned[phase] + stall);
            if (line == null && client.process.isAlive()) {
                throw new Stalled(what + ": stalled: phase " + (phase + 1) + " of " + planned.length + " ("
                        + Session.PHASE_NAMES.get(phase) + ") said nothing for " + (planned[phase] + stall) / 1000
                        + " s (its planned time plus the stall time-out of " + stall / 1000 + " s); skipped");
            }
            if (line == null || !line.equals(Session.PHASE + (phase + 1))) {
                throw client.failure(what + ": no result (said: " + line + ")");
            }
        }
        String result = client.line(stall);
        if (result == null || !result.contains("p50_ns=")) {
            throw client.failure(what + ": no result (said: " + result + ")");
        }
        return result;
    }

    private List<String> command(String pin, String transport, Plan plan, String... args) {
        if (transport.equals("node-ws")) {
            List<String> command = new ArrayList<>(pin.equals("-") ? List.of() : List.of("taskset", "-c", pin));
            command.addAll(List.of("node", NODE_PEER.orElseThrow().toString()));
            command.addAll(List.of(args));
            return command;
        }
        List<String> jvm = new ArrayList<>(jvmOptions);
        if (plan.virtualThreads()) {
            jvm.add("-D" + Jvm.VIRTUAL + "=true");
        }
        List<String> command = new ArrayList<>(Jvm.command(pin, transport, jvm));
        command.addAll(List.of(args));
        return command;
    }

    static Measurement parse(String name, Kind kind, int size, String line) {
        Map<String, Long> v = keyValues(line);
        Latency latency = new Latency(v.get("p50_ns"), v.get("p90_ns"), v.get("p99_ns"), v.get("p999_ns"),
                v.get("max_ns"), v.get("count"));
        return new Measurement(name, kind, size, latency,
                new Throughput(v.get("tp_messages"), v.get("tp_nanos"), size),
                new Throughput(v.get("batch_messages"), v.get("batch_nanos"), size));
    }

    /** @return the numeric {@code key=value} pairs of a result line */
    public static Map<String, Long> keyValues(String line) {
        Map<String, Long> values = new HashMap<>();
        for (String pair : line.trim().split("\\s+")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                try {
                    values.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    // Not a number (a name or a note): not needed here.
                }
            }
        }
        return values;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Best effort: a leftover temp directory is not worth failing a benchmark for.
        }
    }

    /** A child JVM whose standard output is read line by line and whose standard error goes to a file. */
    private static final class Child {
        private final String role;
        private final Process process;
        private final BufferedReader out;
        private final Path errFile;

        private Child(String role, Process process, Path errFile) {
            this.role = role;
            this.process = process;
            this.errFile = errFile;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(Path dir, String role, List<String> command) throws IOException {
            Path err = dir.resolve(role + ".err");
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            return new Child(role, p, err);
        }

        /** @return the next line, or null at end of output or after {@code millis} */
        String line(long millis) throws InterruptedException {
            CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }, Thread::startVirtualThread);
            try {
                return next.get(millis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return null;
            }
        }

        void awaitExit(String transport, long millis) throws IOException, InterruptedException {
            if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
                throw failure(transport + ": " + role + " did not exit");
            }
            if (process.exitValue() != 0) {
                throw failure(transport + ": " + role + " exited with " + process.exitValue());
            }
        }

        IOException failure(String what) {
            String err;
            try {
                List<String> lines = Files.readAllLines(errFile);
                err = String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
            } catch (IOException e) {
                err = "(no standard error)";
            }
            return new IOException(what + "; " + role + " standard error:\n  " + err);
        }

        static void kill(Child child) {
            if (child != null && child.process.isAlive()) {
                child.process.descendants().forEach(ProcessHandle::destroyForcibly);
                child.process.destroyForcibly();
                try {
                    child.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
