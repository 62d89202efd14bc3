package dev.conduit.testing.soak;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The chaos process's side of a {@link Soak}: starts the receiver and the sender runs in child
 * JVMs, kills each run with SIGKILL at a moment chosen by the seed, and restarts it.
 *
 * <p>Most kills come when the sender has completed a number of sends drawn at random (read from
 * {@link SoakProgress}), plus up to 300 µs, so they land in the middle of the message stream,
 * often in the middle of a message; one in four, where the transport allows, comes instead at a
 * random time up to 1.5 s after the run started, in its JVM's start-up or its connecting. Not on
 * {@code fifo:}: a FIFO cannot tell writers apart, so a new writer may only come once the
 * receiver has seen the killed one's end of stream and opened a new end (fifo.md, "Whole
 * messages and many senders"), and that end comes only from a writer that had opened it. Not on
 * the spawned child either, whose process id this process learns only from its progress.
 *
 * <p>Receiver kills come when the receiver has processed a number of messages drawn the same
 * way (plus up to 300 µs), interleaved with the sender kills ({@link #killReceiver}). A restarted
 * receiver resumes from its {@link SoakLedger}; a two-way sender run that is alive connects
 * again by itself, and one that had already sent everything is followed by a new run.
 *
 * <p>Waiting is polling the progress file with a stall limit, so a side that hangs fails the soak
 * with both sides' positions instead of hanging it. {@link #close} kills every child and removes
 * what the transport may have left (and {@link #run} reports any such leftover first).
 */
final class SoakChaos implements AutoCloseable {
    private static final String END_OF_OUTPUT = "\0end";
    private static final long LOOK_EVERY_NANOS = 50_000;

    private final Soak.Settings settings;
    private final String transport;
    private final Path progressFile;
    private final Path reports;
    private final Path receiverErrors;
    private final Path senderErrors;
    private final String name;
    private final int mqKey;
    private final String endpoint;
    private final Path ledgerFile;
    private final Path endings;
    private final int most;
    private final boolean earlyAllowed;
    private final SoakProgress progress;
    private final Set<Long> pids = new HashSet<>();
    private final SoakLeftovers leftovers;
    /** The current receiver run's standard output, a line at a time. */
    private BlockingQueue<String> output;
    private Process receiver;
    private Process sender;
    private String senderEndpoint;
    private int senderRun;
    private long opensAtStart;
    private long lastSpawnedKilled;
    private int kills;
    private int receiverKills;

    SoakChaos(Soak.Settings settings, TempDir dir) throws IOException {
        this.settings = settings;
        this.transport = settings.transport();
        this.progressFile = dir.resolve("progress");
        this.reports = dir.resolve("reports");
        this.receiverErrors = dir.resolve("receiver.err");
        this.senderErrors = dir.resolve("sender.err");
        this.ledgerFile = dir.resolve("ledger");
        this.endings = dir.resolve("endings");
        this.most = most(transport);
        this.earlyAllowed = !transport.equals("fifo") && !transport.equals("spawn");
        long pid = ProcessHandle.current().pid();
        this.name = "cdsoak-" + pid;
        this.mqKey = (int) (0x50000000L | (pid << 8 & 0x0FFFFF00L) | (settings.seed() & 0xFF));
        this.endpoint = switch (transport) {
            case "unix" -> "unix:" + dir.resolve("soak.sock");
            case "pipe" -> "pipe:" + name;
            case "tcp" -> "tcp://127.0.0.1:0";
            case "shm" -> "shm:" + name;
            case "fifo" -> "fifo:" + dir.resolve("soak.fifo");
            case "mq" -> "mq:" + mqKey;
            case "log" -> "log:" + dir.resolve("log");
            default -> "stdio";
        };
        this.leftovers = new SoakLeftovers(transport, endpoint, name, mqKey, pids);
        this.progress = SoakProgress.open(progressFile);
    }

    Soak.Result run() throws Exception {
        Random random = new Random(settings.seed());
        long[] at = killPoints(random, settings.kills());
        long[] receiverAt = killPoints(random, settings.receiverKills());
        System.out.println("soak " + transport + ": " + endpoint + ", seed=" + settings.seed() + ", sender kills after "
                + Arrays.toString(at) + " sends, receiver kills after " + Arrays.toString(receiverAt) + " received");
        long margin = Math.max(1_000, settings.messages() / 50);
        startReceiver();
        long began = System.nanoTime();
        for (int i = 0, j = 0; i < at.length || j < receiverAt.length; ) {
            // A sender waits a little past its planned kill until it comes (log: senders are not
            // held back by the receiver, and one outran its kill while a receiver restarted).
            progress.set(SoakProgress.HOLD, i < at.length ? at[i] + margin : 0);
            if (j == receiverAt.length || i < at.length && !receiverFirst(at[i], receiverAt[j])) {
                if (transport.equals("spawn")) {
                    killSpawned(random, at[i++]);
                } else {
                    killSender(random, at[i++]);
                }
            } else {
                killReceiver(random, receiverAt[j++]);
            }
        }
        progress.set(SoakProgress.HOLD, 0);
        ensureSender();
        long total = settings.messages();
        await("the receiver to take all " + total + " messages", () -> !receiver.isAlive(), null);
        double seconds = (System.nanoTime() - began) / 1e9;
        if (sender != null && (!sender.waitFor(60, TimeUnit.SECONDS) || sender.exitValue() != 0)) {
            throw new AssertionError(endpoint + ": the last sender run did not end well: "
                    + (sender.isAlive() ? "still running" : "exit code " + sender.exitValue()) + errors());
        }
        if (receiver.exitValue() != 0) {
            throw new AssertionError(endpoint + ": the receiver exited with code " + receiver.exitValue() + errors());
        }
        return result(seconds);
    }

    /**
     * Whether the receiver kill after {@code received} comes before the sender kill after
     * {@code sends}: in that order, unless a {@code log:} sender, which the receiver does not
     * hold back, might finish meanwhile; then when the receiver is there already.
     */
    private boolean receiverFirst(long sends, long received) {
        return progress.get(SoakProgress.NEXT) >= received || received < sends && !transport.equals("log");
    }

    private long[] killPoints(Random random, int count) {
        long total = settings.messages();
        return random.longs(count, total / 100, Math.max(total / 100 + 1, total * 97 / 100)).sorted().toArray();
    }

    /** Starts a sender run if none is running; on {@code fifo:} only once the receiver has a new end open. */
    private void ensureSender() throws IOException {
        if (sender != null || transport.equals("spawn")) {
            return;
        }
        if (transport.equals("fifo")) {
            long opens = opensAtStart;
            await("the receiver to open a new end of the FIFO", () -> progress.get(SoakProgress.OPENS) > opens, null);
            opensAtStart = progress.get(SoakProgress.OPENS);
        }
        sender = startSender(++senderRun);
    }

    private void killSender(Random random, long point) throws IOException {
        boolean early = earlyAllowed && random.nextInt(4) == 0;
        long delay = early ? random.nextLong(1_500_000_000L) : random.nextLong(300_000);
        ensureSender();
        int run = senderRun;
        long doneBefore = progress.get(SoakProgress.DONE);
        Process current = sender;
        if (early) {
            // In the start-up or the connecting: a run that sends before the delay is over is killed then.
            long deadline = System.nanoTime() + delay;
            await("sender run " + run + " to start sending or " + delay / 1_000_000 + " ms to pass",
                    () -> progress.get(SoakProgress.DONE) > doneBefore || System.nanoTime() - deadline >= 0, current);
        } else {
            long hold = progress.get(SoakProgress.HOLD);
            // A run waiting at the hold made its progress before this call began: kill it there.
            await("sender run " + run + " to complete " + point + " sends", () -> current.isAlive()
                    && progress.get(SoakProgress.DONE) >= point && (progress.get(SoakProgress.DONE) > doneBefore
                    || hold > 0 && progress.get(SoakProgress.DONE) >= hold), current);
            LockSupport.parkNanos(delay);
        }
        if (!sender.isAlive()) {
            throw new AssertionError(endpoint + ": sender run " + run + " exited with code " + sender.exitValue()
                    + " before it was killed; " + state());
        }
        ChildJvm.kill(sender);
        sender = null;
        kills++;
    }

    private void killSpawned(Random random, long point) {
        long jitter = random.nextLong(300_000);
        long killedRun = lastSpawnedKilled;
        long doneBefore = progress.get(SoakProgress.DONE);
        long hold = progress.get(SoakProgress.HOLD);
        await("a spawned sender run after run " + killedRun + " to complete " + point + " sends",
                () -> progress.get(SoakProgress.RUN) > killedRun && progress.get(SoakProgress.DONE) >= point
                        && (progress.get(SoakProgress.DONE) > doneBefore
                        || hold > 0 && progress.get(SoakProgress.DONE) >= hold), null);
        LockSupport.parkNanos(jitter);
        long run = progress.get(SoakProgress.RUN);
        long pid = progress.get(SoakProgress.PID);
        pids.add(pid);
        Optional<ProcessHandle> child = ProcessHandle.of(pid)
                .filter(h -> h.parent().map(ProcessHandle::pid).orElse(-1L) == receiver.pid());
        ProcessHandle handle = child.orElseThrow(() -> new AssertionError(endpoint + ": spawned sender run "
                + run + " (pid " + pid + ") is not a live child of the receiver (pid " + receiver.pid() + ")"));
        handle.destroyForcibly();
        await("spawned sender run " + run + " (pid " + pid + ") to die", () -> !handle.isAlive(), null);
        lastSpawnedKilled = run;
        kills++;
    }

    /**
     * Kills the receiver once it has processed {@code point} messages (plus up to 300 µs), and
     * starts it again. On {@code fifo:} the writer is killed with it: a FIFO's buffered bytes
     * outlive its reader while a writer holds it open, and the killed reader may have taken half
     * a message of them, so a new reader would start mid-frame; with both ends gone the kernel
     * frees the pipe, and a new pair starts clean ({@link SoakAudit} says what that may lose).
     */
    private void killReceiver(Random random, long point) throws IOException, InterruptedException {
        long jitter = random.nextLong(300_000);
        ensureSender();
        long receiverRun = progress.get(SoakProgress.RECEIVER_RUN);
        await("receiver run " + receiverRun + " to process " + point + " messages",
                () -> progress.get(SoakProgress.NEXT) >= point, null);
        LockSupport.parkNanos(jitter);
        ChildJvm.kill(receiver);
        if (transport.equals("fifo")) {
            ChildJvm.kill(sender);
            sender = null;
        }
        receiverKills++;
        startReceiver();
        if (sender != null && !sender.isAlive()) {
            if (sender.exitValue() != 0) {
                throw new AssertionError(endpoint + ": sender run " + senderRun + " exited with code "
                        + sender.exitValue() + " after receiver run " + receiverRun + " was killed; " + state());
            }
            // It had sent everything before the kill: a new run sends what the restarted receiver lacks.
            sender = null;
        }
    }

    private void startReceiver() throws IOException, InterruptedException {
        String mode = switch (transport) {
            case "fifo" -> "fifo";
            case "mq" -> "stream";
            case "log" -> "log";
            case "spawn" -> "spawn";
            default -> "listen";
        };
        // A restarted receiver listens where the first one did (tcp: on the port it was given).
        List<String> command = command(SoakReceiver.class, mode, senderEndpoint == null || transport.equals("log")
                        ? endpoint : senderEndpoint, progressFile.toString(), ledgerFile.toString(), endings.toString(),
                Long.toString(settings.messages()));
        if (transport.equals("spawn")) {
            command.addAll(senderCommand("{run}", "stdio"));
        }
        Process started = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(receiverErrors.toFile())).start();
        receiver = started;
        pids.add(started.pid());
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        output = lines;
        Thread.ofPlatform().daemon().name("soak-receiver-output").start(() -> readOutput(started, lines));
        String line = lines.poll(60, TimeUnit.SECONDS);
        if (line == null || !line.startsWith("READY ")) {
            throw new AssertionError(endpoint + ": the receiver did not say READY in 60 s but " + line + errors());
        }
        if (senderEndpoint == null) {
            senderEndpoint = transport.equals("log") ? endpoint : line.substring("READY ".length());
        }
    }

    private static void readOutput(Process process, BlockingQueue<String> lines) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("output unreadable: " + e);
        } finally {
            lines.add(END_OF_OUTPUT);
        }
    }

    private Process startSender(int run) throws IOException {
        Process p = new ProcessBuilder(senderCommand(Integer.toString(run), senderEndpoint))
                .redirectError(ProcessBuilder.Redirect.appendTo(senderErrors.toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        pids.add(p.pid());
        return p;
    }

    private List<String> senderCommand(String run, String to) {
        List<String> command = command(SoakSender.class, SoakAudit.oneWay(transport) ? "oneway" : "twoway", to,
                progressFile.toString(), reports.toString(), run, Long.toString(settings.messages()),
                Integer.toString(most));
        if (settings.receiverKills() > 0) {
            command.add("reconnect");
        }
        return command;
    }

    /** @return the largest payload: a System V message is at most msgmax bytes (8192 by default), others 64 KiB */
    private static int most(String transport) throws IOException {
        return transport.equals("mq")
                // Files.readString reads "8" of "8192" here: procfs reports a size of 0.
                ? Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/msgmax")).getFirst().strip())
                        - SoakMessages.STAMP
                : 65536;
    }

    private List<String> command(Class<?> main, String... args) {
        List<String> command = new ArrayList<>(ChildJvm.command(main, args));
        if (settings.fullJit()) {
            command.remove("-XX:TieredStopAtLevel=1");
        }
        return command;
    }

    /** Waits for {@code condition}, failing if a child dies meanwhile or neither side moves for the stall limit. */
    private void await(String what, BooleanSupplier condition, Process mustLive) {
        long lastMove = System.nanoTime();
        long seen = -1;
        while (!condition.getAsBoolean()) {
            if (Thread.currentThread().isInterrupted()) {
                throw new AssertionError(endpoint + ": interrupted while waiting for " + what + "; " + state());
            }
            if (!receiver.isAlive()) {
                throw new AssertionError(endpoint + ": the receiver exited with code " + receiver.exitValue()
                        + " while waiting for " + what + "; " + state());
            }
            if (mustLive != null && !mustLive.isAlive()) {
                throw new AssertionError(endpoint + ": the sender exited with code " + mustLive.exitValue()
                        + " while waiting for " + what + "; " + state());
            }
            long now = progress.get(SoakProgress.NEXT) * 31 + progress.get(SoakProgress.STARTED) * 17
                    + progress.get(SoakProgress.DONE) + progress.get(SoakProgress.OPENS) * 7
                    + progress.get(SoakProgress.RUN);
            if (now != seen) {
                seen = now;
                lastMove = System.nanoTime();
            } else if (System.nanoTime() - lastMove > settings.stallLimit().toNanos()) {
                throw new AssertionError(endpoint + ": no progress for " + settings.stallLimit().toSeconds()
                        + " s waiting for " + what + "; " + state());
            }
            LockSupport.parkNanos(LOOK_EVERY_NANOS);
        }
    }

    private String state() {
        return "receiver run=" + progress.get(SoakProgress.RECEIVER_RUN) + " next=" + progress.get(SoakProgress.NEXT)
                + " opens=" + progress.get(SoakProgress.OPENS)
                + ", sender run=" + progress.get(SoakProgress.RUN) + " pid=" + progress.get(SoakProgress.PID)
                + " started=" + progress.get(SoakProgress.STARTED) + " done=" + progress.get(SoakProgress.DONE)
                + " alive=" + (sender != null && sender.isAlive()) + errors();
    }

    /** @return the end of what the children wrote to standard error, for a failure's message */
    private String errors() {
        StringBuilder b = new StringBuilder();
        for (Path file : List.of(receiverErrors, senderErrors)) {
            try {
                String text = Files.exists(file) ? Files.readString(file) : "";
                if (!text.isBlank()) {
                    b.append("\n").append(file.getFileName()).append(" ends with:\n")
                            .append(text.substring(Math.max(0, text.length() - 3000)));
                }
            } catch (IOException e) {
                b.append("\n").append(file).append(" unreadable: ").append(e);
            }
        }
        return b.toString();
    }

    private Soak.Result result(double seconds) throws IOException, InterruptedException {
        boolean printed = false;
        for (String line = output.poll(30, TimeUnit.SECONDS); line != null && !line.equals(END_OF_OUTPUT);
                line = output.poll(30, TimeUnit.SECONDS)) {
            printed |= line.startsWith("RESULT ");
        }
        if (!printed) {
            throw new AssertionError(endpoint + ": the receiver printed no RESULT line" + errors());
        }
        try (SoakLedger ledger = SoakLedger.open(ledgerFile, SoakLedger.capacityFor(settings.messages()))) {
            return new SoakAudit(settings, most).audit(ledger, (int) progress.get(SoakProgress.RECEIVER_RUN), reports,
                    endings, kills, receiverKills, seconds, leftovers.list());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            for (Process p : new Process[] {sender, receiver}) {
                if (p != null) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    ChildJvm.kill(p);
                }
            }
        } finally {
            progress.close();
            leftovers.remove();
        }
    }
}
