package dev.conduit.internal.process;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.ProcessConnection;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.Options;
import dev.conduit.internal.QueueConnection;
import dev.conduit.internal.frame.Framing;
import dev.conduit.spi.TransportProvider;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Frames (or lines, or raw bytes, with {@code ?framing=}) over a child's standard input and
 * output ({@link #spawn}) or this process's own ({@code stdio}, {@link #stdio}). Each connection runs a reader and a writer thread between
 * the streams and its inboxes, so time-outs, {@code tryReceive} and {@code trySend} work on
 * plain pipes; a {@code send} writes into the pipe on its own thread ({@link PipeWriter}).
 */
public final class ProcessTransport implements TransportProvider {
    private static final long INBOX_BYTES = 1 << 20;
    private static final long CLOSE_WAIT_MILLIS = 2000;
    private static final long EXIT_NOTE_WAIT_MILLIS = 200;
    private static boolean stdioTaken;

    @Override
    public Set<String> schemes() {
        return Set.of("stdio");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Framing.OPTION);
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        throw new TransportUnavailableException(endpoint + ": listen: stdio cannot listen; the parent connects with"
                + " Conduit.spawn(command...) and the child with Conduit.stdio() or connect(\"stdio\")");
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) {
        return stdio(endpoint);
    }

    /**
     * @param endpoint a {@code stdio} endpoint, for its options
     * @return the connection over this process's standard input and output
     * @throws IllegalStateException if one was made before
     */
    public static synchronized Connection stdio(Endpoint endpoint) {
        if (stdioTaken) {
            throw new IllegalStateException("stdio: this process's standard input and output are already a connection");
        }
        stdioTaken = true;
        // Stray printing to System.out would corrupt the frames; send it to standard error.
        PrintStream err = System.err;
        System.setOut(err);
        return open(endpoint, endpoint.toString(), new FileInputStream(FileDescriptor.in),
                new FileOutputStream(FileDescriptor.out), null);
    }

    /**
     * @param builder the command; its standard input and output become pipes, standard error is
     *                inherited unless redirected
     * @param endpoint a {@code stdio} endpoint, for its options
     * @return the connection, which owns the child
     * @throws IOException if the process cannot be started
     */
    public static ProcessConnection spawn(ProcessBuilder builder, Endpoint endpoint) throws IOException {
        builder.redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(ProcessBuilder.Redirect.PIPE);
        if (builder.redirectError() == ProcessBuilder.Redirect.PIPE) {
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        String program = builder.command().isEmpty() ? "?" : builder.command().getFirst();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IOException("spawn: cannot start " + builder.command() + ": " + e.getMessage(), e);
        }
        String name = "spawn:" + program + "(pid " + process.pid() + ")";
        return (ProcessConnection) open(endpoint, name, process.getInputStream(), process.getOutputStream(), process);
    }

    private static QueueConnection open(Endpoint endpoint, String name, InputStream in, OutputStream out,
            Process process) {
        int maxFrame = Options.maxFrame(endpoint);
        Framing framing = Framing.of(endpoint);
        Inbox inbound = new Inbox(name, INBOX_BYTES);
        Inbox outbound = new Inbox(name, INBOX_BYTES);
        PipeWriter writer = new PipeWriter(name, framing, out, outbound);
        StreamPumps pumps = new StreamPumps(name, maxFrame, framing, in, inbound, writer,
                () -> process == null ? "" : exitNote(process));
        QueueConnection connection = process == null
                ? new QueueConnection(endpoint, name, maxFrame, inbound, outbound, () -> awaitWriter(pumps), framing,
                        writer)
                : new Child(endpoint, name, maxFrame, framing, inbound, outbound, writer, pumps, process);
        pumps.start();
        return connection;
    }

    /** @return the child's exit code for an end-of-stream message, if it exits soon after closing */
    private static String exitNote(Process process) {
        try {
            return process.waitFor(EXIT_NOTE_WAIT_MILLIS, TimeUnit.MILLISECONDS)
                    ? " (child exited with code " + process.exitValue() + ")" : " (child still running)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void awaitWriter(StreamPumps pumps) {
        try {
            pumps.awaitWriter(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A spawned child's connection: closing it ends the child's input and reaps the child. */
    private static final class Child extends QueueConnection implements ProcessConnection {
        private final Process process;

        Child(Endpoint endpoint, String name, int maxFrame, Framing framing, Inbox inbound, Inbox outbound,
                PipeWriter writer, StreamPumps pumps, Process process) {
            super(endpoint, name, maxFrame, inbound, outbound, () -> reap(pumps, process), framing, writer);
            this.process = process;
        }

        @Override
        public Process process() {
            return process;
        }

        private static void reap(StreamPumps pumps, Process process) {
            awaitWriter(pumps);
            try {
                if (!process.waitFor(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
