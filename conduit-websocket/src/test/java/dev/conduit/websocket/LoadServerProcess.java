package dev.conduit.websocket;

import dev.conduit.testing.ChildJvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A {@link LoadServer} in a child JVM, spoken to line by line; {@link #close()} kills it. */
final class LoadServerProcess implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final String endpoint;

    /**
     * Starts the server and waits for it to listen.
     *
     * @param endpoint where it listens (port 0 is fine)
     * @param mode     what it does with each connection (see {@link LoadServer})
     * @param jvmOptions options for its JVM, such as {@code -Xmx256m}
     */
    LoadServerProcess(String endpoint, String mode, List<String> jvmOptions) throws IOException {
        this(endpoint, mode, jvmOptions, null);
    }

    /**
     * As {@link #LoadServerProcess(String, String, List)}, its standard error (its log) going to
     * {@code stderr} instead of the test's.
     */
    LoadServerProcess(String endpoint, String mode, List<String> jvmOptions, Path stderr) throws IOException {
        ProcessBuilder builder = ChildJvm.builder(jvmOptions, LoadServer.class, endpoint, mode);
        if (stderr != null) {
            builder.redirectError(stderr.toFile());
        }
        this.process = builder.start();
        try {
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            String line = out.readLine();
            if (line == null || !line.startsWith("listening ")) {
                throw new IOException("load server on " + endpoint + " (" + mode + ") did not start: said " + line);
            }
            this.endpoint = line.substring("listening ".length());
        } catch (IOException | RuntimeException e) {
            ChildJvm.kill(process);
            throw e;
        }
    }

    /** @return the endpoint clients connect to, with the port it got */
    String endpoint() {
        return endpoint;
    }

    /** @return the server's figures now, after a full collection (see {@link LoadServer}) */
    Stats stats() throws IOException {
        String line = command("stats");
        if (!line.startsWith("stats ")) {
            throw new IOException("load server on " + endpoint + ": stats answered " + line);
        }
        Map<String, String> values = new HashMap<>();
        for (String pair : line.substring("stats ".length()).split(" ")) {
            int eq = pair.indexOf('=');
            values.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return new Stats(values);
    }

    /** @return whether {@code count} connections are being served and all their threads are parked; no collection */
    boolean allParked(int count) throws IOException {
        String line = command("parked");
        String[] parts = line.split(" ");
        if (parts.length != 3 || !parts[0].equals("parked")) {
            throw new IOException("load server on " + endpoint + ": parked answered " + line);
        }
        return Integer.parseInt(parts[1]) == count && Integer.parseInt(parts[2]) == count;
    }

    /** Starts keeping the largest heap after collection until the next {@link #stats()}. */
    void watch() throws IOException {
        command("watch");
    }

    private String command(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("load server on " + endpoint + " ended (exit " + exitValue() + ") after: " + command);
        }
        return line;
    }

    private String exitValue() {
        return process.isAlive() ? "still running" : Integer.toString(process.exitValue());
    }

    @Override
    public void close() {
        ChildJvm.kill(process);
    }

    /** The figures of one {@code stats} line. */
    record Stats(Map<String, String> values) {
        long get(String key) {
            String v = values.get(key);
            if (v == null) {
                throw new IllegalArgumentException("stats have no " + key + ": " + values);
            }
            return Long.parseLong(v);
        }

        String text(String key) {
            return values.get(key);
        }

        /** @return {@code bytes} in MiB, one decimal */
        static String mib(long bytes) {
            return String.format("%.1f MiB", bytes / 1048576.0);
        }
    }
}
