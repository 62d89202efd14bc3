package dev.conduit.bench.baseline;

import dev.conduit.bench.Measurement;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The physical baselines: what a Linux IPC mechanism does at best, measured by a small C program
 * ({@code conduit_baseline.c}, shipped on the class path next to this class) in the same shapes
 * as Conduit's own rows, so that each Conduit transport can be read against the mechanism
 * beneath it.
 *
 * <p>The program forks one child, pins parent and child to two CPUs, sends payloads that carry
 * a sequence number (bytes 0..3) and a checksum of the rest (bytes 4..7), verifies every one,
 * and prints one line of {@code key=value} pairs. The stream mechanisms carry Conduit's frames
 * (4-byte big-endian length, then payload). Its header comment documents the details.
 *
 * <pre>{@code
 * if (CBaselines.prepare(workDir) instanceof CBaselines.Availability.Ready(Path binary)) {
 *     Measurement m = CBaselines.run(binary, Mechanism.UDS, 64, Map.of(
 *             Mode.PINGPONG, new Iterations(100_000, 10_000),
 *             Mode.THROUGHPUT, new Iterations(1_000_000, 100_000)));
 * }
 * }</pre>
 *
 * <p>Stateless: every method may be called from any thread, and runs may overlap, though
 * overlapping runs disturb each other's figures.
 */
public final class CBaselines {
    /** How long one run of the program (one mechanism, mode and size) may take by default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    static final String SOURCE = "conduit_baseline.c";
    static final String BINARY = "conduit_baseline";
    static final String GCC_MISSING = "gcc not found on PATH; C baselines skipped";
    private static final Duration COMPILE_TIMEOUT = Duration.ofSeconds(120);

    private CBaselines() {
    }

    /** How long a {@code shm-futex} receiver spins before it sleeps, in ns: as Conduit's {@code ?spin=}. */
    public static final String SPIN_NS_VARIABLE = "CONDUIT_BASELINE_SPIN_NS";

    /** An IPC mechanism the C program measures. */
    public enum Mechanism {
        /** An AF_UNIX SOCK_STREAM socketpair. */
        UDS("uds"),
        /** Two anonymous pipes, one per direction. */
        PIPE("pipe"),
        /** Two named FIFOs, one per direction, in a private temporary directory. */
        FIFO("fifo"),
        /** Two System V message queues; payloads are at most the kernel's {@code msgmax}. */
        SYSV("sysv"),
        /**
         * A single-producer single-consumer ring per direction in shared memory, published by each
         * record's length (no shared tail); the receiver spins, then also yields its CPU.
         */
        SHM("shm"),
        /** The same rings; the receiver spins a few microseconds, then sleeps on a futex. */
        SHM_FUTEX("shm-futex");

        private final String id;

        Mechanism(String id) {
            this.id = id;
        }

        /** @return the name the C program takes, e.g. {@code shm-futex} */
        public String id() {
            return id;
        }

        /**
         * @return whether the batched mode packs many frames into one call or publication (streams
         *         and rings do; System V queues run throughput)
         */
        public boolean batches() {
            return this != SYSV;
        }

        /** @return whether this is one of the shared-memory rings, which reach tens of millions of messages a second */
        public boolean ring() {
            return this == SHM || this == SHM_FUTEX;
        }

        /** @return the row name in a {@link Measurement}, e.g. {@code c-shm-futex} */
        public String transport() {
            return "c-" + id;
        }

        /**
         * @param id a name as returned by {@link #id()}
         * @return the mechanism of that name
         * @throws IllegalArgumentException if no mechanism has that name
         */
        public static Mechanism of(String id) {
            for (Mechanism m : values()) {
                if (m.id.equals(id)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("mechanism: " + id
                    + " (expected uds, pipe, fifo, sysv, shm or shm-futex)");
        }
    }

    /** What a run measures; each mode is one run of the program. */
    public enum Mode {
        /** Round-trip latency: the child echoes each message whole. Fills {@link Measurement#latency()}. */
        PINGPONG("pingpong"),
        /** One way, one write (or msgsnd, or ring record) per message. Fills {@link Measurement#throughput()}. */
        THROUGHPUT("throughput"),
        /**
         * One way, as many whole frames per write (or ring records per publication) as fit in 64 KiB;
         * for {@code sysv}, which has nothing to batch, the same as {@link #THROUGHPUT}. Fills
         * {@link Measurement#batched()}.
         */
        BATCHED("batched");

        private final String id;

        Mode(String id) {
            this.id = id;
        }

        /** @return the name the C program takes */
        public String id() {
            return id;
        }
    }

    /**
     * How many messages (or round trips) one run measures, after how many unmeasured ones.
     *
     * @param count  measured, at least 1
     * @param warmup run first and not measured, at least 0
     */
    public record Iterations(long count, long warmup) {
        /** @throws IllegalArgumentException if count is below 1 or warmup below 0 */
        public Iterations {
            if (count < 1) {
                throw new IllegalArgumentException("count: " + count + " (expected >= 1)");
            }
            if (warmup < 0) {
                throw new IllegalArgumentException("warmup: " + warmup + " (expected >= 0)");
            }
        }
    }

    /** Whether the baselines can run here: a compiled program, or why not. */
    public sealed interface Availability {
        /** @param binary the compiled program, ready for {@link CBaselines#run} */
        record Ready(Path binary) implements Availability {
            /** @throws NullPointerException if binary is null */
            public Ready {
                Objects.requireNonNull(binary, "binary");
            }
        }

        /** @param reason one or more lines for a person, e.g. {@code gcc not found on PATH; C baselines skipped} */
        record Unavailable(String reason) implements Availability {
            /** @throws NullPointerException if reason is null */
            public Unavailable {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    /**
     * @param mechanism a mechanism
     * @param size      a payload size
     * @return why the mechanism cannot carry messages of that size here, or empty if it can
     */
    public static Optional<String> unsupported(Mechanism mechanism, int size) {
        if (mechanism != Mechanism.SYSV) {
            return Optional.empty();
        }
        try {
            long msgmax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/msgmax")).getFirst().strip());
            return size <= msgmax ? Optional.empty()
                    : Optional.of("size " + size + " exceeds the kernel's System V limit msgmax=" + msgmax);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes the C source into {@code workDir} and compiles it there with the {@code gcc} found
     * on {@code PATH}. Blocks while gcc runs (about a second, at most two minutes).
     *
     * @param workDir where to put {@code conduit_baseline.c} and the program; created if absent
     * @return {@link Availability.Ready} with the program, or {@link Availability.Unavailable}
     *         saying that gcc is missing
     *         ({@code gcc not found on PATH; C baselines skipped}) or quoting what gcc printed
     * @throws IOException if workDir cannot be written, or the source is missing from the class path
     */
    public static Availability prepare(Path workDir) throws IOException {
        return prepare(workDir, System.getenv("PATH"));
    }

    static Availability prepare(Path workDir, String searchPath) throws IOException {
        Optional<Path> gcc = findExecutable("gcc", searchPath);
        if (gcc.isEmpty()) {
            return new Availability.Unavailable(GCC_MISSING);
        }
        Files.createDirectories(workDir);
        Path source = workDir.resolve(SOURCE);
        try (InputStream in = CBaselines.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException(SOURCE + " is missing from the class path next to " + CBaselines.class.getName());
            }
            Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
        }
        Path binary = workDir.resolve(BINARY);
        List<String> command = List.of(gcc.get().toString(), "-O2", "-std=gnu11", "-o", binary.toString(),
                source.toString(), "-lrt", "-pthread");
        BaselineProcess.Result result;
        try {
            result = BaselineProcess.run(command, Map.of(), COMPILE_TIMEOUT);
        } catch (IOException e) {
            return new Availability.Unavailable("gcc could not compile " + source + ": " + e.getMessage());
        }
        if (result.exitCode() != 0) {
            return new Availability.Unavailable("gcc could not compile " + source + " (exit status "
                    + result.exitCode() + ")" + BaselineProcess.quote(result.stderr()));
        }
        return new Availability.Ready(binary);
    }

    /**
     * Measures one mechanism at one payload size: one run of the program per mode, one after the
     * other, each within {@link #DEFAULT_TIMEOUT}. Blocks until all have finished.
     *
     * @see #run(Path, Mechanism, int, Map, Duration, Map)
     */
    public static Measurement run(Path binary, Mechanism mechanism, int size, Map<Mode, Iterations> runs)
            throws IOException {
        return run(binary, mechanism, size, runs, DEFAULT_TIMEOUT, Map.of());
    }

    /**
     * Measures one mechanism at one payload size: one run of the program per mode, in the order
     * pingpong, throughput, batched. Blocks until all have finished; each run may take up to
     * {@code timeout}, after which it is killed.
     *
     * @param binary    the program from {@link #prepare}
     * @param mechanism what to measure
     * @param size      payload bytes, 8 to 1 MiB (for {@code sysv} at most the kernel's msgmax);
     *                  the program checks it
     * @param runs      which modes to run, and how long each
     * @param timeout   the longest one run may take
     * @param env       variables added to the program's environment, e.g.
     *                  {@code CONDUIT_BASELINE_SPIN_NS} (see {@link #SPIN_NS_VARIABLE})
     * @return a {@link Measurement.Kind#BASELINE} row named {@link Mechanism#transport()}, with the
     *         fields of the modes not run left null
     * @throws IOException if a run exits non-zero (a bad argument, a message that failed to verify,
     *                     a system call that failed) or prints something unexpected: the message
     *                     quotes the program's stderr; or if a run was killed at the time-out
     * @throws IllegalArgumentException if runs is empty
     */
    public static Measurement run(Path binary, Mechanism mechanism, int size, Map<Mode, Iterations> runs,
            Duration timeout, Map<String, String> env) throws IOException {
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(mechanism, "mechanism");
        Objects.requireNonNull(timeout, "timeout");
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("runs: empty (expected at least one mode)");
        }
        Map<Mode, Map<String, String>> results = new EnumMap<>(Mode.class);
        for (Map.Entry<Mode, Iterations> run : new EnumMap<>(runs).entrySet()) {
            results.put(run.getKey(), runOnce(binary, mechanism, run.getKey(), size, run.getValue(), timeout, env));
        }
        Measurement.Latency latency = null;
        if (results.containsKey(Mode.PINGPONG)) {
            latency = latency(results.get(Mode.PINGPONG));
        }
        return new Measurement(mechanism.transport(), Measurement.Kind.BASELINE, size, latency,
                throughput(results.get(Mode.THROUGHPUT), size), throughput(results.get(Mode.BATCHED), size));
    }

    /**
     * One run of the program. Blocks until it ends or {@code timeout} passes.
     *
     * @param env variables added to the program's environment (tests use CONDUIT_BASELINE_CORRUPT)
     * @return the pairs it printed, checked to name this mechanism, mode and size
     * @throws IOException as {@link #run(Path, Mechanism, int, Map, Duration, Map)}
     */
    static Map<String, String> runOnce(Path binary, Mechanism mechanism, Mode mode, int size, Iterations iterations,
            Duration timeout, Map<String, String> env) throws IOException {
        List<String> command = List.of(binary.toString(), mechanism.id(), mode.id(), Integer.toString(size),
                Long.toString(iterations.count()), Long.toString(iterations.warmup()));
        String context = mechanism.transport() + " " + mode.id() + " size=" + size;
        BaselineProcess.Result result = BaselineProcess.run(command, env, timeout);
        if (result.exitCode() != 0) {
            throw new IOException(context + ": " + BINARY + " exited with status " + result.exitCode()
                    + BaselineProcess.quote(result.stderr()));
        }
        try {
            Map<String, String> pairs = BaselineProcess.parse(result.stdout());
            expect(pairs, "mech", mechanism.id());
            expect(pairs, "mode", mode.id());
            expect(pairs, "size", Integer.toString(size));
            return pairs;
        } catch (IOException e) {
            throw new IOException(context + ": unexpected output from " + BINARY + ": " + e.getMessage()
                    + "\nstderr" + BaselineProcess.quote(result.stderr()), e);
        }
    }

    private static void expect(Map<String, String> pairs, String key, String expected) throws IOException {
        if (!expected.equals(pairs.get(key))) {
            throw new IOException(key + "=" + pairs.get(key) + " (expected " + expected + ")");
        }
    }

    private static Measurement.Latency latency(Map<String, String> pairs) throws IOException {
        return new Measurement.Latency(BaselineProcess.number(pairs, "p50_ns"), BaselineProcess.number(pairs, "p90_ns"),
                BaselineProcess.number(pairs, "p99_ns"), BaselineProcess.number(pairs, "p999_ns"),
                BaselineProcess.number(pairs, "max_ns"), BaselineProcess.number(pairs, "count"));
    }

    private static Measurement.Throughput throughput(Map<String, String> pairs, int size) throws IOException {
        if (pairs == null) {
            return null;
        }
        long nanos = BaselineProcess.number(pairs, "nanos");
        if (nanos == 0) {
            throw new IOException("nanos=0 in " + pairs + ": too few messages to time");
        }
        return new Measurement.Throughput(BaselineProcess.number(pairs, "count"), nanos, size);
    }

    /** @return the first executable file named {@code name} in the directories of {@code searchPath} */
    static Optional<Path> findExecutable(String name, String searchPath) {
        if (searchPath == null) {
            return Optional.empty();
        }
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            } catch (InvalidPathException e) {
                // not a directory name on this system: nothing to find there
            }
        }
        return Optional.empty();
    }
}
