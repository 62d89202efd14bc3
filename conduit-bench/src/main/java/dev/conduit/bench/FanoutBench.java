package dev.conduit.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code conduit bench --fanout 1,2,4}: one publisher and N subscribers, each in a process of
 * its own, for Conduit's {@code shmfan:} and for Aeron IPC, interleaved (Conduit, Aeron,
 * Conduit, Aeron, ...) so that both see the same stretch of a shared machine. Nothing is pinned:
 * with more processes than CPUs, the kernel shares them out. Per row: one-way throughput per
 * subscriber (the slowest and the mean) and in total, and the latency from send to receive at a
 * steady {@value FanoutPeer#GAP_NANOS} ns pace (the worst subscriber's p50 and p99); then the
 * ratio of Conduit's best round to Aeron's best round.
 */
final class FanoutBench {
    /** One round of one library at one subscriber count. */
    record Round(String impl, int subscribers, double slowestRate, double totalRate, long p50, long p99) {
    }

    private final int size;
    private final Duration warmup;
    private final Duration duration;
    private final int rounds;
    private final PrintWriter err;
    private final String spin;
    private int runs;

    /** @param spin Conduit's {@code ?spin=} on both sides, or {@code -} for its default */
    FanoutBench(int size, Duration warmup, Duration duration, int rounds, String spin, PrintWriter err) {
        if (size < 16) {
            throw new IllegalArgumentException("--fanout needs messages of at least 16 bytes (sequence and time)");
        }
        this.size = size;
        this.warmup = warmup;
        this.duration = duration;
        this.rounds = rounds;
        this.err = err;
        this.spin = spin;
    }

    /** @return the table, Conduit's and Aeron's best rounds side by side for each count */
    String run(List<Integer> counts) throws IOException, InterruptedException {
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%-8s %4s  %14s %14s %10s %10s   (best of %d rounds, %d B, %s each phase)%n", "fan-out", "subs",
                "msg/s slowest", "msg/s total", "p50 us", "p99 us", rounds, size, duration));
        for (int n : counts) {
            Round[] best = new Round[2];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 2; i++) {
                    Round round = round(i == 0 ? FanoutPeer.CONDUIT : FanoutPeer.AERON, n);
                    err.println("conduit: fan-out round " + (r + 1) + ": " + describe(round));
                    err.flush();
                    best[i] = best[i] == null || round.totalRate() > best[i].totalRate() ? round : best[i];
                }
            }
            table.append(line(best[0])).append(line(best[1]));
            table.append(String.format(Locale.ROOT, "%-8s %4d  %13.2fx %13.2fx %9.2fx %9.2fx%n", "ratio", n,
                    best[0].slowestRate() / best[1].slowestRate(), best[0].totalRate() / best[1].totalRate(),
                    (double) best[0].p50() / best[1].p50(), (double) best[0].p99() / best[1].p99()));
        }
        return table.toString();
    }

    private static String line(Round r) {
        return String.format(Locale.ROOT, "%-8s %4d  %14.0f %14.0f %10.1f %10.1f%n", r.impl(), r.subscribers(),
                r.slowestRate(), r.totalRate(), r.p50() / 1000.0, r.p99() / 1000.0);
    }

    private static String describe(Round r) {
        return line(r).strip();
    }

    /** Starts the publisher, then the subscribers, says go, and collects what each subscriber saw. */
    private Round round(String impl, int n) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("conduit-fanout-");
        String name = impl.equals(FanoutPeer.CONDUIT) ? "bench" + ProcessHandle.current().pid() + "-" + ++runs
                : dir.resolve("aeron").toString();
        List<Process> all = new ArrayList<>();
        try {
            Process publisher = start(List.of("fanout-pub", impl, name, String.valueOf(size),
                    String.valueOf(warmup.toNanos()), String.valueOf(duration.toNanos()), spin), impl);
            all.add(publisher);
            BufferedReader pubOut = reader(publisher);
            String ready = expect(pubOut, "ready ");
            List<BufferedReader> outs = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                Process subscriber = start(List.of("fanout-sub", impl, impl.equals(FanoutPeer.CONDUIT) ? name
                        : ready.substring("ready ".length()), spin), impl);
                all.add(subscriber);
                outs.add(reader(subscriber));
            }
            for (BufferedReader out : outs) {
                expect(out, "joined");
            }
            Writer go = new OutputStreamWriter(publisher.getOutputStream(), StandardCharsets.UTF_8);
            go.write("go\n");
            go.flush();
            double slowest = Double.MAX_VALUE;
            double total = 0;
            long p50 = 0;
            long p99 = 0;
            for (BufferedReader out : outs) {
                String[] f = expect(out, "result ").split(" ");
                double rate = Long.parseLong(f[1]) * 1e9 / Long.parseLong(f[2]);
                slowest = Math.min(slowest, rate);
                total += rate;
                p50 = Math.max(p50, Long.parseLong(f[3]));
                p99 = Math.max(p99, Long.parseLong(f[4]));
            }
            expect(pubOut, "done ");
            go.close();
            for (Process p : all) {
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("fan-out " + impl + " with " + n + " subscribers: a process failed"
                            + " (exit " + (p.isAlive() ? "none, killed" : p.exitValue()) + ")");
                }
            }
            return new Round(impl, n, slowest, total, p50, p99);
        } finally {
            all.forEach(Process::destroyForcibly);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Process start(List<String> args, String impl) throws IOException {
        List<String> command = new ArrayList<>(Jvm.command("-", impl.equals(FanoutPeer.AERON) ? "aeron" : "shm",
                List.of()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** @return the next line that starts with {@code prefix}, skipping others (a library's banner) */
    private static String expect(BufferedReader out, String prefix) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IOException("fan-out: a process ended before saying '" + prefix.strip() + "'");
    }
}
