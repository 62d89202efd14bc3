package dev.conduit.bench.baseline;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one external program to the end or to a time-out, collecting what it prints, and reads
 * the one line of {@code key=value} pairs the baseline program prints. Stateless; any thread.
 */
final class BaselineProcess {
    /** How long a program has to exit after SIGTERM before SIGKILL, and to close its output after exit. */
    static final Duration GRACE = Duration.ofSeconds(5);

    private BaselineProcess() {
    }

    /**
     * What a finished program left.
     *
     * @param exitCode its exit status
     * @param stdout   everything it printed on standard output, as UTF-8
     * @param stderr   everything it printed on standard error, as UTF-8
     */
    record Result(int exitCode, String stdout, String stderr) {
    }

    /**
     * Starts {@code command} and waits for it to exit. Blocks the calling thread for up to
     * {@code timeout} plus twice {@link #GRACE}. A program still running at the time-out gets
     * SIGTERM (the baseline program cleans up on it), then SIGKILL after {@link #GRACE}.
     *
     * @param command the program and its arguments
     * @param env     variables to add to this process's environment
     * @param timeout how long the program may run
     * @return its exit status and output, whatever the status
     * @throws IOException if it cannot be started, or it was killed at the time-out (the message
     *                     says so and quotes its standard error)
     * @throws InterruptedIOException if the thread is interrupted while waiting; the program is killed
     */
    static Result run(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        FutureTask<byte[]> stdout = drain(process.getInputStream());
        FutureTask<byte[]> stderr = drain(process.getErrorStream());
        boolean exited;
        try {
            exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            stop(process);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + String.join(" ", command));
        }
        if (!exited) {
            stop(process);
            throw new IOException(String.join(" ", command) + ": killed after " + describe(timeout)
                    + " without finishing" + quote(text(stderr)));
        }
        return new Result(process.exitValue(), text(stdout), text(stderr));
    }

    /**
     * Reads the single line of space-separated {@code key=value} pairs a baseline run prints.
     *
     * @param stdout the program's whole standard output
     * @return the pairs in the order printed
     * @throws IOException if the output is not exactly one non-blank line of pairs with distinct,
     *                     non-empty keys; the message quotes the output
     */
    static Map<String, String> parse(String stdout) throws IOException {
        List<String> lines = stdout.lines().filter(line -> !line.isBlank()).toList();
        if (lines.size() != 1) {
            throw new IOException("expected one line of key=value pairs, got " + lines.size() + " lines"
                    + quote(stdout));
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (String pair : lines.getFirst().strip().split(" +")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IOException("'" + pair + "' is not a key=value pair in: " + lines.getFirst());
            }
            if (pairs.put(pair.substring(0, eq), pair.substring(eq + 1)) != null) {
                throw new IOException("key " + pair.substring(0, eq) + " appears twice in: " + lines.getFirst());
            }
        }
        return pairs;
    }

    /**
     * @param pairs what {@link #parse} returned
     * @param key   the key wanted
     * @return its value as a non-negative long
     * @throws IOException if the key is missing or its value is not a non-negative integer
     */
    static long number(Map<String, String> pairs, String key) throws IOException {
        String value = pairs.get(key);
        if (value == null) {
            throw new IOException("no " + key + " in output: " + pairs);
        }
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException(key + "=" + value + " is not a non-negative integer");
    }

    /** @return the text, indented after a colon, or a note that there was none */
    static String quote(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? " (nothing on stderr)" : ":\n  " + trimmed.replace("\n", "\n  ");
    }

    private static FutureTask<byte[]> drain(InputStream in) {
        FutureTask<byte[]> task = new FutureTask<>(() -> {
            try (in) {
                return in.readAllBytes();
            }
        });
        Thread.ofVirtual().name("baseline-output").start(task);
        return task;
    }

    /** @return what the stream held, or what it had not delivered within {@link #GRACE} said as such */
    private static String text(FutureTask<byte[]> drained) throws IOException {
        try {
            return new String(drained.get(GRACE.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading a baseline program's output");
        } catch (TimeoutException e) {
            drained.cancel(true);
            return "(output still open " + describe(GRACE) + " after the program exited)";
        } catch (ExecutionException e) {
            return "(output unreadable: " + e.getCause() + ")";
        }
    }

    private static void stop(Process process) {
        // Through the handle: Process.destroy() would also close the pipes and lose what the
        // program says on its way out.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
