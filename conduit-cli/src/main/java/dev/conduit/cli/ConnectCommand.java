package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.MessageSender;
import dev.conduit.cli.Formats.Format;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code conduit connect}: standard input to messages, messages to standard output. Sending runs
 * on a reader thread, printing on the connection's {@code onMessage} loop, and the command's
 * thread waits for the end: the peer closing, a failure, or standard input's end followed by
 * {@link #QUIET} without a message (so replies to the last lines still arrive). On a one-way
 * endpoint the command's thread sends each line as it comes, and exits at the end of input.
 */
@Command(name = "connect", sortOptions = false,
        description = {"Connect to ENDPOINT; send each line of standard input as one message and print each"
                + " message received as one line. For a one-way endpoint (fifo:, mq:, log:, zipc:), open its"
                + " sending end and send each line as it comes (tail -f app.log | conduit connect log:/tmp/events).",
            "At the end of input, waits for the peer to close or for 500ms without a message, then exits 0;"
                + " if the peer ends first, says so on standard error and exits 4."})
final class ConnectCommand implements Callable<Integer> {
    /** How long after the end of input, and after each message since, the command waits for more. */
    static final Duration QUIET = Duration.ofMillis(500);

    private final InputStream in;
    private final Object lock = new Object();
    private boolean inputEnded;
    private Throwable peerEnded;
    /** Whether the first message has been looked at; only the loop's thread uses it. */
    private boolean firstSeen;
    private Throwable failure;
    private long lastActivityNanos;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "Where to connect, e.g. unix:/tmp/app.sock.")
    private String endpoint;

    @Mixin
    private WebSocketOptions webSocket;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Formats.FormatConverter.class,
            description = "How lines are read and printed: text (UTF-8; \\n, \\r, \\\\ escaped), hex or base64."
                    + " Default: ${DEFAULT-VALUE}.")
    private Format format;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.Converter.class,
            description = "How long to keep trying to connect, e.g. 500ms, 5s, 1m. Default: ${DEFAULT-VALUE}.")
    private Duration timeout;

    /** @param in where the lines to send come from */
    ConnectCommand(InputStream in) {
        this.in = in;
    }

    @Override
    public Integer call() throws Exception {
        if (Endpoint.parse(endpoint).scheme().equals("stdio")) {
            throw new ParameterException(spec.commandLine(), "endpoint '" + Main.shown(endpoint) + "': connect reads standard"
                    + " input and prints to standard output, so it cannot also use them as the connection");
        }
        PrintWriter out = spec.commandLine().getOut();
        endpoint = webSocket.apply(endpoint);
        if (Endpoint.parse(endpoint).isOneWay()) {
            return sendOneWay();
        }
        Connection connection = Conduit.connect(endpoint, timeout);
        Thread loop;
        try (connection) {
            loop = connection.onMessage(message -> {
                if (!firstSeen) {
                    firstSeen = true;
                    refuseSessionHello(connection, message);
                }
                String line = format.encode(message);
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
                touch();
            }, this::peerEnded);
            Thread.ofPlatform().daemon().name("conduit-connect stdin").start(() -> sendAll(connection));
            awaitEnd();
        }
        loop.join(Duration.ofSeconds(1));
        return outcome();
    }

    /** @return the exit code: 0 if the input ended first, {@link Main#EXIT_PEER_ENDED} if the peer did */
    private int outcome() throws Exception {
        synchronized (lock) {
            if (failure instanceof Exception e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(Main.shown(endpoint) + ": " + failure, failure);
            }
            if (peerEnded != null && !inputEnded) {
                return Main.peerEnded(spec.commandLine().getErr(), peerEnded);
            }
            return 0;
        }
    }

    /**
     * A raw connection to a session listener gets its hello first: say so, rather than print it.
     * The listener closes once it reads a line that is no hello; this failure outranks that end.
     */
    private void refuseSessionHello(Connection connection, ByteBuffer first) {
        try {
            Main.refuseSessionHello(connection, first);
        } catch (IOException e) {
            synchronized (lock) {
                failure = e;
                lock.notifyAll();
            }
            throw new UncheckedIOException(e); // ends the loop
        }
    }

    /** One-way: no replies to wait for, so the command's own thread sends, and is done at the end of input. */
    private int sendOneWay() throws IOException {
        try (MessageSender sender = Conduit.openSender(endpoint, timeout)) {
            sendLines(sender, Main.shown(endpoint));
        } catch (ConnectionClosedException e) {
            return Main.peerEnded(spec.commandLine().getErr(), e);
        }
        return 0;
    }

    /**
     * Sends each line of standard input as one message, as it comes.
     *
     * @param name the endpoint, secrets hidden, for an error message
     * @throws IllegalArgumentException naming the line, if one is not valid in the format
     */
    private void sendLines(MessageSender sender, String name) throws IOException {
        int lineNumber = 0;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            byte[] message;
            try {
                message = format.decode(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": standard input line " + lineNumber + ": "
                        + e.getMessage(), e);
            }
            sender.send(message);
        }
    }

    private void sendAll(Connection connection) {
        try (in) {
            sendLines(connection, connection.endpoint().redacted());
            synchronized (lock) {
                inputEnded = true;
                lastActivityNanos = System.nanoTime();
                lock.notifyAll();
            }
        } catch (ConnectionClosedException e) {
            peerEnded(e); // as when the receive loop sees the close first: the peer chose to end
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    private void touch() {
        synchronized (lock) {
            lastActivityNanos = System.nanoTime();
        }
    }

    private void peerEnded(Throwable cause) {
        if (cause instanceof ConnectionClosedException) {
            synchronized (lock) {
                if (peerEnded == null) {
                    peerEnded = cause;
                }
                lock.notifyAll();
            }
        } else {
            fail(cause);
        }
    }

    private void fail(Throwable cause) {
        synchronized (lock) {
            if (failure == null && peerEnded == null) {
                failure = cause instanceof UncheckedIOException u ? u.getCause() : cause;
            }
            lock.notifyAll();
        }
    }

    private void awaitEnd() throws InterruptedIOException {
        long quietNanos = QUIET.toNanos();
        synchronized (lock) {
            try {
                while (failure == null && peerEnded == null) {
                    if (!inputEnded) {
                        lock.wait();
                        continue;
                    }
                    long left = lastActivityNanos + quietNanos - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(Main.shown(endpoint) + ": connect: interrupted");
            }
        }
    }
}
