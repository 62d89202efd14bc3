package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.ProcessConnection;
import dev.conduit.cli.PingPong.RoundTrips;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * {@code conduit demo}: spawns a child JVM running {@link DemoPeerCommand} and round-trips
 * numbered payloads with it over stdio, {@code unix:}, {@code pipe:}, {@code tcp:}, {@code ws:}
 * and {@code shm:}, over a pair of FIFOs and a pair of System V queues (one each way), then with a
 * thread of this JVM over {@code mem:}, printing one table row per transport. This process
 * always listens and measures; the child connects and echoes. Every echo is checked byte for
 * byte. Each transport is warmed up until its median round trip stops falling (the JIT of both
 * JVMs has compiled the path) or {@code --warmup} has passed, so its figures are not the cold
 * first ones; a count-based warm-up of 2,000 round trips showed {@code ws:} at 6x what
 * {@code conduit bench} measures. The child and the temporary directory are removed on every path, Ctrl-C included.
 */
@Command(name = "demo", sortOptions = false,
        description = {"Round-trip messages with a child JVM over every transport and print the latencies.",
            "Transports: stdio (the child's standard input and output), unix:, pipe:, tcp:, ws:, shm:, fifo: and mq: (a"
                + " pair each, one each way), and mem: (in-process)."})
final class DemoCommand implements Callable<Integer> {
    /** The rows, in the order run. */
    static final List<String> TRANSPORTS = List.of("stdio (spawn)", "unix", "pipe", "tcp", "ws", "shm",
            "fifo (a pair)", "mq (a pair)", "mem (in-process)");
    private static final int MAX_SIZE = 1 << 20;
    private static final int MAX_MESSAGES = 10_000_000;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration ACCEPT_POLL = Duration.ofMillis(20);
    private static final String ROW = "%-18s %10s %13s %16s %13s %11s%n";
    /** Warm-up round trips between two looks at the median. */
    private static final int WARMUP_CHUNK = 500;
    /** Chunks in a row whose median is within {@link #SETTLED_RATIO} of the best so far: settled. */
    private static final int SETTLED_CHUNKS = 4;
    private static final double SETTLED_RATIO = 0.9;
    /** The least warm-up: the JIT compiles in the background, and a quiet spell is not the end of it. */
    private static final long MIN_WARMUP_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

    @Spec
    private CommandSpec spec;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "10000",
            description = "Round trips measured per transport. Default: ${DEFAULT-VALUE}.")
    private int messages;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "64",
            description = "Payload size, from 8 to 1048576 bytes. Default: ${DEFAULT-VALUE}.")
    private int size;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "1500ms",
            description = "Most warm-up per transport, not recorded: round trips run until the median settles"
                    + " (at least 300 ms) or this has passed; 0ms for none. Default: ${DEFAULT-VALUE}.")
    private String warmup;

    private Duration warmupLimit;

    private PrintWriter out;
    private PingPong pingPong;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        out = spec.commandLine().getOut();
        pingPong = new PingPong(size, ANSWER_TIMEOUT);
        long pid = ProcessHandle.current().pid();
        DemoCleanup cleanup = new DemoCleanup(Files.createTempDirectory("conduit-demo-" + pid + "-"));
        Thread hook = Thread.ofPlatform().unstarted(cleanup::run);
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ProcessConnection child = cleanup.child(Conduit.spawn(childCommand()));
            out.printf(Locale.ROOT, "Conduit demo: a child JVM (pid %d) echoes messages over each transport%n",
                    child.process().pid());
            out.printf(Locale.ROOT, "%,d round trips of %,d-byte payloads per transport, each after a warm-up of up to"
                    + " %s (until its median settles); every echo is checked byte for byte.%n", messages, size,
                    Durations.format(warmupLimit));
            out.printf("These are quick figures from one short run; for careful ones, side by side with C and other"
                    + " libraries, run: conduit bench (docs/benchmarks.md).%n%n");
            out.flush();
            awaitReady(child);
            return runAll(child, cleanup, pid);
        } finally {
            cleanup.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // Shutting down: the hook has run.
            }
        }
    }

    private void validate() {
        if (messages < 1 || messages > MAX_MESSAGES) {
            throw new ParameterException(spec.commandLine(), "--messages " + messages + " (expected 1 to "
                    + MAX_MESSAGES + ")");
        }
        if (size < PingPong.MIN_SIZE || size > MAX_SIZE) {
            throw new ParameterException(spec.commandLine(), "--size " + size + " (expected " + PingPong.MIN_SIZE
                    + " to " + MAX_SIZE + " bytes)");
        }
        try {
            warmupLimit = warmup.equals("0") ? Duration.ZERO : Durations.parse(warmup);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--warmup " + warmup + " (expected a duration such as"
                    + " 1500ms or 2s)");
        }
    }

    private int runAll(ProcessConnection child, DemoCleanup cleanup, long pid) throws IOException {
        out.printf(ROW, "transport", "messages", "bytes", "median RTT (µs)", "p99 RTT (µs)", "msgs/s");
        List<String> failures = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        boolean childUsable = true;
        for (Transport t : transports(cleanup.directory(), pid, cleanup.queues(queueKey(pid), 2))) {
            String label = t.label();
            boolean needsChild = !t.inProcess();
            if (needsChild && !(childUsable && child.process().isAlive())) {
                skipped.add(label);
                out.printf("%-18s skipped (the child JVM is gone)%n", label);
                out.flush();
                continue;
            }
            try {
                printRow(t.inProcess() ? inProcess(t.endpoint(), label)
                        : t.endpoint().equals("stdio") ? overStdio(child, label)
                        : t.back() != null ? pairWithChild(child, t.endpoint(), t.back(), label)
                        : viaChild(child, t.endpoint(), label));
            } catch (IOException e) {
                if (cleanup.started()) {
                    throw new IOException("demo: interrupted", e); // Ctrl-C: the failure is our own doing
                }
                failures.add(label + ": " + Main.describe(e) + (needsChild ? childStatus(child.process()) : ""));
                out.printf("%-18s FAILED (see below)%n", label);
                out.flush();
                if (needsChild) {
                    // Whatever it was doing, the child is out of step with us now: stop it.
                    childUsable = false;
                    child.process().destroyForcibly();
                }
            }
        }
        return summarize(failures, skipped);
    }

    /**
     * One row of the table: what it is called, and where the echoing side connects; for a pair
     * of one-way endpoints, where it receives, and {@code back}, where it sends the echoes.
     */
    private record Transport(String label, String endpoint, String back) {
        boolean inProcess() {
            return endpoint.startsWith("mem:");
        }
    }

    /** @return the transports in {@link #TRANSPORTS} order, with endpoints private to this run */
    private static List<Transport> transports(Path dir, long pid, int queueKey) {
        List<String> endpoints = List.of("stdio", "unix:" + dir.resolve("u.sock"), "pipe:conduit-demo-" + pid,
                "tcp://127.0.0.1:0", "ws://127.0.0.1:0/demo", "shm:conduit-demo-" + pid,
                "fifo:" + dir.resolve("to-child"),
                "mq:0x" + Integer.toHexString(queueKey), "mem:conduit-demo-" + pid);
        List<String> back = Arrays.asList(null, null, null, null, null, null, "fifo:" + dir.resolve("to-parent"),
                "mq:0x" + Integer.toHexString(queueKey + 1), null);
        return IntStream.range(0, TRANSPORTS.size())
                .mapToObj(i -> new Transport(TRANSPORTS.get(i), endpoints.get(i), back.get(i)))
                .toList();
    }

    /** @return the first of two System V queue keys for this run: this process's id in them */
    static int queueKey(long pid) {
        return 0x43440000 | (int) (pid & 0x7FFF) << 1;
    }

    private int summarize(List<String> failures, List<String> skipped) throws IOException {
        out.println();
        if (pingPong.mismatches() > 0) {
            failures.add(String.format(Locale.ROOT, "%,d payloads came back different; the first: %s",
                    pingPong.mismatches(), pingPong.firstMismatch()));
        }
        if (failures.isEmpty()) {
            out.printf(Locale.ROOT, "all %,d×%d payloads came back intact%n", messages, TRANSPORTS.size());
            out.flush();
            return 0;
        }
        failures.forEach(f -> out.println("FAILED " + f));
        if (!skipped.isEmpty()) {
            out.println("skipped " + String.join(", ", skipped) + ": the child JVM was stopped after the failure");
        }
        out.flush();
        throw new IOException("demo: " + failures.size() + " failure" + (failures.size() == 1 ? "" : "s")
                + (skipped.isEmpty() ? "" : ", " + skipped.size() + " transports skipped") + "; the first: "
                + failures.getFirst());
    }

    /** @return how the child ended, if it did within a moment, for a failure message */
    private static String childStatus(Process p) {
        try {
            return p.waitFor(1, TimeUnit.SECONDS) ? " (the child JVM exited with code " + p.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private RoundTrips overStdio(ProcessConnection child, String label) throws IOException {
        child.send("stdio");
        RoundTrips trips = measure(child, label);
        child.send(new byte[0]);
        expectDone(child);
        return trips;
    }

    private RoundTrips viaChild(ProcessConnection child, String endpoint, String label) throws IOException {
        try (Listener listener = Conduit.listen(endpoint)) {
            child.send("echo " + listener.endpoint());
            RoundTrips trips;
            try (Connection connection = acceptFromChild(listener, child)) {
                trips = measure(connection, label);
            }
            expectDone(child); // the child saw our close and reports back
            return trips;
        }
    }

    private RoundTrips inProcess(String endpoint, String label) throws IOException {
        try (Listener listener = Conduit.listen(endpoint)) {
            AtomicReference<String> answer = new AtomicReference<>();
            // A platform thread, as a user after speed would run it: a virtual thread never spins.
            Thread echoer = Thread.ofPlatform().daemon().name("conduit-demo echo " + endpoint).start(() -> {
                try {
                    DemoPeerCommand.echoAt(listener.endpoint().toString());
                    answer.set(DemoPeerCommand.DONE);
                } catch (IOException | RuntimeException e) {
                    answer.set(DemoPeerCommand.ERROR + Main.describe(e));
                }
            });
            RoundTrips trips;
            try (Connection connection = listener.accept(ANSWER_TIMEOUT)) {
                if (connection == null) {
                    throw new IOException(endpoint + ": the echo thread did not connect within "
                            + Durations.format(ANSWER_TIMEOUT) + " (" + answer.get() + ")");
                }
                trips = measure(connection, label);
            }
            try {
                if (!echoer.join(ANSWER_TIMEOUT)) {
                    throw new IOException(endpoint + ": the echo thread did not end after the connection closed");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(endpoint + ": interrupted", e);
            }
            checkAnswer(endpoint, answer.get());
            return trips;
        }
    }

    /**
     * Round trips over two one-way channels: this side receives on {@code back}, the child on
     * {@code endpoint}; an empty message, which no payload is, tells the child to stop.
     */
    private RoundTrips pairWithChild(ProcessConnection child, String endpoint, String back, String label)
            throws IOException {
        try (MessageReceiver in = Conduit.openReceiver(back)) {
            child.send("relay " + endpoint + " " + back);
            RoundTrips trips;
            try (MessageSender out = Conduit.openSender(endpoint, ANSWER_TIMEOUT)) {
                trips = measure(out, in, label);
                out.send(new byte[0]);
            }
            expectDone(child);
            return trips;
        }
    }

    private RoundTrips measure(Connection connection, String label) throws IOException {
        return measure(connection, connection, label);
    }

    private RoundTrips measure(MessageSender out, MessageReceiver in, String label) throws IOException {
        return pingPong.run(out, in, label, warmUp(out, in, label), messages);
    }

    /**
     * Runs round trips in chunks until {@link #SETTLED_CHUNKS} chunks in a row have not bettered
     * the best median by more than a tenth (after {@link #MIN_WARMUP_NANOS}), or the warm-up
     * limit has passed.
     *
     * @return how many round trips it ran: the measured ones' first sequence number
     */
    private long warmUp(MessageSender out, MessageReceiver in, String label) throws IOException {
        long start = System.nanoTime();
        long seq = 0;
        long best = Long.MAX_VALUE;
        int settled = 0;
        while (System.nanoTime() - start < warmupLimit.toNanos()) {
            long median = pingPong.run(out, in, label, seq, WARMUP_CHUNK).percentile(0.50);
            seq += WARMUP_CHUNK;
            settled = median >= SETTLED_RATIO * best ? settled + 1 : 0;
            best = Math.min(best, median);
            if (settled >= SETTLED_CHUNKS && System.nanoTime() - start >= MIN_WARMUP_NANOS) {
                break;
            }
        }
        return seq;
    }

    private static Connection acceptFromChild(Listener listener, ProcessConnection child) throws IOException {
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        while (true) {
            Connection connection = listener.accept(ACCEPT_POLL);
            if (connection != null) {
                return connection;
            }
            // The child answers only when done, so an answer now means it could not connect.
            String answer = receiveFromChild(child, Duration.ZERO);
            if (answer != null) {
                checkAnswer(listener.endpoint().toString(), answer);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException(listener.endpoint() + ": the child JVM did not connect within "
                        + Durations.format(ANSWER_TIMEOUT));
            }
        }
    }

    private static void awaitReady(ProcessConnection child) throws IOException {
        String answer = receiveFromChild(child, READY_TIMEOUT);
        if (answer == null) {
            throw new IOException("child JVM (pid " + child.process().pid() + ") was not ready within "
                    + Durations.format(READY_TIMEOUT));
        }
        if (!answer.equals(DemoPeerCommand.READY)) {
            throw new IOException("child JVM (pid " + child.process().pid() + ") said '" + answer
                    + "' (expected '" + DemoPeerCommand.READY + "')");
        }
    }

    private static void expectDone(ProcessConnection child) throws IOException {
        String answer = receiveFromChild(child, ANSWER_TIMEOUT);
        if (answer == null) {
            throw new IOException("child JVM (pid " + child.process().pid() + ") did not report back within "
                    + Durations.format(ANSWER_TIMEOUT));
        }
        checkAnswer("child JVM (pid " + child.process().pid() + ")", answer);
    }

    private static void checkAnswer(String who, String answer) throws IOException {
        if (answer == null || !answer.equals(DemoPeerCommand.DONE)) {
            String why = answer == null ? "no answer"
                    : answer.startsWith(DemoPeerCommand.ERROR) ? answer.substring(DemoPeerCommand.ERROR.length())
                    : "unexpected answer '" + answer + "'";
            throw new IOException(who + ": echo failed: " + why);
        }
    }

    /** @return the child's next message, or {@code null} if none came within {@code timeout} */
    private static String receiveFromChild(ProcessConnection child, Duration timeout) throws IOException {
        try {
            return timeout.isZero() ? asString(child.tryReceive()) : child.receiveString(timeout);
        } catch (ConnectionClosedException e) {
            Process p = child.process();
            try {
                p.waitFor(1, TimeUnit.SECONDS); // it is likely exiting; wait so its exit code can be told
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            String status = p.isAlive() ? "closed its output" : "exited with code " + p.exitValue();
            throw new IOException("child JVM (pid " + p.pid() + ") " + status
                    + " (its error output, if any, is above)", e);
        }
    }

    private static String asString(byte[] message) {
        return message == null ? null : new String(message, StandardCharsets.UTF_8);
    }

    private static String[] childCommand() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new String[] {java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
            "-cp", System.getProperty("java.class.path"), Main.class.getName(), "demo-peer"};
    }

    private void printRow(RoundTrips trips) {
        long[] sorted = trips.sorted();
        out.printf(Locale.ROOT, ROW, trips.label(),
                String.format(Locale.ROOT, "%,d", trips.count()),
                String.format(Locale.ROOT, "%,d", trips.bytes()),
                String.format(Locale.ROOT, "%.1f", RoundTrips.percentile(sorted, 0.50) / 1e3),
                String.format(Locale.ROOT, "%.1f", RoundTrips.percentile(sorted, 0.99) / 1e3),
                String.format(Locale.ROOT, "%,.0f", trips.perSecond()));
        out.flush();
    }
}
