package dev.conduit.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code conduit} run as a child JVM on the test class path, as a user runs it: its standard
 * output and error are collected line by line as they come, and can be waited for.
 */
final class CliProcess implements AutoCloseable {
    private final Process process;
    private final List<String> out = new ArrayList<>();
    private final List<String> err = new ArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private CliProcess(Process process) {
        this.process = process;
        outReader = Thread.ofPlatform().daemon().start(() -> collect(process.getInputStream(), out));
        errReader = Thread.ofPlatform().daemon().start(() -> collect(process.getErrorStream(), err));
    }

    /**
     * @param args the arguments after {@code conduit}
     * @return the running command, its standard input closed
     * @throws IOException if the JVM cannot be started
     */
    static CliProcess start(String... args) throws IOException {
        return start(List.of(), args);
    }

    /**
     * As {@link #start(String...)}, in a JVM given {@code jvmOptions} (such as {@code -Xmx256m}).
     *
     * @throws IOException if the JVM cannot be started
     */
    static CliProcess start(List<String> jvmOptions, String... args) throws IOException {
        CliProcess p = startPiped(jvmOptions, args);
        p.process.getOutputStream().close();
        return p;
    }

    /**
     * As {@link #start(List, String...)}, but with standard input left open: a pipe the test
     * writes lines to ({@link #stdin()}), as {@code tail -f app.log | conduit ...} would.
     *
     * @throws IOException if the JVM cannot be started
     */
    static CliProcess startPiped(List<String> jvmOptions, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return new CliProcess(new ProcessBuilder(command).start());
    }

    /** @return the command's standard input, if started by {@link #startPiped} */
    OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Writes {@code line} and a newline to standard input, at once. */
    void writeLine(String line) throws IOException {
        stdin().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin().flush();
    }

    Process process() {
        return process;
    }

    /**
     * Waits for {@code listen}'s status line.
     *
     * @return the endpoint it listens on, with a chosen port filled in
     */
    String awaitListening() throws InterruptedException {
        String prefix = "listening on ";
        return awaitStderr(line -> line.startsWith(prefix), Duration.ofSeconds(20)).substring(prefix.length());
    }

    private void collect(InputStream stream, List<String> lines) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // The process was killed: what was read is kept.
        }
    }

    /**
     * Waits for a line on standard error.
     *
     * @return the first line that matches
     * @throws AssertionError if none came within {@code timeout}, with what did come
     */
    synchronized String awaitStderr(Predicate<String> matches, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : err) {
                if (matches.test(line)) {
                    return line;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !errReader.isAlive()) {
                throw new AssertionError("no such line on stderr (within " + timeout + "); stderr: " + err
                        + ", stdout: " + out + ", alive: " + process.isAlive());
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    /**
     * Waits for {@code count} lines on standard output.
     *
     * @throws AssertionError if fewer came within {@code timeout}, with what did come
     */
    synchronized void awaitStdoutLines(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !outReader.isAlive()) {
                throw new AssertionError(count + " lines expected on stdout (within " + timeout + "); stdout: " + out
                        + ", stderr: " + err + ", alive: " + process.isAlive());
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    /**
     * Waits for the process to exit and for its output to be read.
     *
     * @return the exit code
     * @throws AssertionError if it did not exit within {@code timeout}
     */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("conduit did not exit within " + timeout + "; stdout: " + stdout()
                    + ", stderr: " + stderr());
        }
        outReader.join(Duration.ofSeconds(5));
        errReader.join(Duration.ofSeconds(5));
        return process.exitValue();
    }

    synchronized List<String> stdout() {
        return List.copyOf(out);
    }

    synchronized List<String> stderr() {
        return List.copyOf(err);
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
