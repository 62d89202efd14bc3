package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.Server;
import dev.conduit.cli.Formats.Format;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code conduit listen}: accepts any number of clients at once, each served by its own virtual
 * thread ({@link Listener#serve}), and prints (or echoes) every message. Ends after
 * {@code --count} messages, or when the process is interrupted; either way the listener is
 * closed, so a socket file is removed. A
 * one-way endpoint ({@code fifo:}, {@code mq:}, {@code log:}, {@code zipc:}) is opened as a receiver instead.
 */
@Command(name = "listen", sortOptions = false,
        description = {"Listen at ENDPOINT and print each message received, one line per message,"
                + " from any number of clients at once; for a one-way endpoint (fifo:, mq:, log:, zipc:), open its"
                + " receiving end and print what arrives.",
            "Prints 'listening on ENDPOINT' to standard error once ready (with the port chosen for tcp port 0).",
            "On a one-way endpoint whose writer goes away (fifo: the last writer closed; zipc: the sender closed or"
                + " died; mq: the queue was removed), says so on standard error and exits 4."})
final class ListenCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "Where to listen, e.g. unix:/tmp/app.sock.")
    private String endpoint;

    @Mixin
    private WebSocketOptions webSocket;

    @Option(names = "--echo", description = "Send each message back to its sender instead of printing it"
            + " (over ws: and wss:, a text message as text, a binary one as binary).")
    private boolean echo;

    @Option(names = "--count", paramLabel = "N",
            description = "Exit after N messages in all (from all clients together).")
    private long count;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Formats.FormatConverter.class,
            description = "How to print messages: text (UTF-8; \\n, \\r, \\\\ escaped), hex or base64."
                    + " Default: ${DEFAULT-VALUE}.")
    private Format format;

    @Option(names = "--from", paramLabel = "WHERE",
            description = "For a log: endpoint, where to start reading: start, end, a position a receiver"
                    + " reported (the endpoint's ?from= option; listen prints its position when it ends), or a"
                    + " time such as 2026-12-06T10:00Z."
                    + " Default: end.")
    private String from;

    private final AtomicLong reserved = new AtomicLong();
    private final AtomicLong handled = new AtomicLong();
    private volatile boolean finished;
    /** Set before this side closes a one-way receiver (Ctrl-C), so its end is not the writer's. */
    private volatile boolean stopping;
    private volatile IOException outputFailure;

    @Override
    public Integer call() throws IOException {
        if (spec.commandLine().getParseResult().hasMatchedOption("--count") && count < 1) {
            throw new ParameterException(spec.commandLine(), "--count " + count + " (expected >= 1)");
        }
        PrintWriter err = spec.commandLine().getErr();
        endpoint = webSocket.apply(endpoint);
        if (from != null) {
            endpoint = withFrom(Endpoint.parse(endpoint)).toString();
        }
        if (Endpoint.parse(endpoint).isOneWay()) {
            if (echo) {
                throw new ParameterException(spec.commandLine(), "endpoint '" + Main.shown(endpoint) + "': --echo needs a"
                        + " two-way endpoint; this one only receives");
            }
            return receiveOneWay(err);
        }
        Listener listener = Conduit.listen(endpoint);
        CountDownLatch done = new CountDownLatch(1);
        // Grace zero: at --count or Ctrl-C, connections still open are closed at once.
        Server server = listener.serve(connection -> serve(listener, connection, done), Duration.ZERO,
                (where, failure) -> report(failure));
        // Ctrl-C or SIGTERM: close the listener so its socket file does not outlive the process.
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            closeQuietly(server);
            done.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        // Said only once the hook is in place: a client of the script may send SIGTERM as soon as it reads this.
        err.println("listening on " + listener.endpoint().redacted());
        err.flush();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            finished = true;
            removeHook(hook);
            server.close(); // a failure to remove the socket file is reported after the rest is done
        }
        if (outputFailure != null) {
            throw outputFailure;
        }
        return 0;
    }

    /** @return the endpoint with {@code --from} as its {@code from} option */
    private Endpoint withFrom(Endpoint parsed) {
        if (!parsed.scheme().equals("log")) {
            throw new ParameterException(spec.commandLine(), "endpoint '" + parsed.redacted() + "': --from applies to log:"
                    + " endpoints only");
        }
        if (parsed.option("from").isPresent()) {
            throw new ParameterException(spec.commandLine(), "endpoint '" + parsed.redacted() + "': --from " + from
                    + " and the endpoint's ?from= both say where to start; give one");
        }
        Map<String, String> options = new LinkedHashMap<>(parsed.options());
        options.put("from", from);
        return Endpoint.of(parsed.scheme(), parsed.address(), options);
    }

    private int receiveOneWay(PrintWriter err) throws IOException {
        MessageReceiver receiver = Conduit.openReceiver(endpoint);
        AtomicBoolean reported = new AtomicBoolean();
        // A log's reader is told where it stopped, by the hook too, since Ctrl-C may end the JVM first.
        Runnable report = () -> {
            if (Endpoint.parse(endpoint).scheme().equals("log") && reported.compareAndSet(false, true)) {
                LogPosition position = LogPosition.of(receiver);
                err.println("position " + position + " (go on from there with --from " + position + ")");
                err.flush();
            }
        };
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            stopping = true;
            closeQuietly(receiver);
            report.run();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try (receiver) {
            err.println("listening on " + Main.shown(endpoint));
            err.flush();
            boolean log = Endpoint.parse(endpoint).scheme().equals("log");
            long damaged = 0;
            // Until --count, or the shutdown hook closes the receiver.
            for (boolean more = true; more; ) {
                byte[] message = receiver.receive();
                // Damage skipped (?onDamage=skip) is said before the message that came after it.
                damaged = log ? LogCommand.reportDamage(receiver, damaged, err) : 0;
                more = deliver(Main.shown(endpoint), receiver, null, message);
            }
        } catch (ConnectionClosedException e) {
            if (!stopping) {
                return Main.peerEnded(err, e); // the writer went away (the exception says how)
            }
        } finally {
            removeHook(hook);
            report.run();
        }
        if (outputFailure != null) {
            throw outputFailure;
        }
        return 0;
    }

    private void serve(Listener listener, Connection connection, CountDownLatch done) throws IOException {
        AutoCloseable stop = done::countDown;
        while (deliver(listener.endpoint().redacted(), stop, connection, connection.receive())) {
            // until --count, the client's end (ConnectionClosedException), or the server's close
        }
    }

    private void report(Throwable failure) {
        if (!finished) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("conduit: " + failure.getMessage());
            err.flush();
        }
    }

    /**
     * @param source    what the message came through, for an error message (secrets hidden)
     * @param stop      what to close once done: the listener, or a one-way receiver
     * @param echoTo    the connection to echo to, with {@code --echo}
     * @return whether to go on receiving
     */
    private boolean deliver(String source, AutoCloseable stop, Connection echoTo, byte[] message)
            throws IOException {
        if (count > 0 && reserved.incrementAndGet() > count) {
            return false;
        }
        if (echo && echoTo.lastReceivedWasText()) {
            echoTo.send(new String(message, StandardCharsets.UTF_8)); // a text frame is valid UTF-8
        } else if (echo) {
            echoTo.send(message);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            String line = format.encode(message);
            synchronized (out) {
                out.println(line);
                out.flush();
            }
            if (out.checkError()) {
                outputFailure = new IOException(source + ": cannot write to standard output");
                closeQuietly(stop);
                return false;
            }
        }
        // Counted only once printed or echoed, so exit never cuts off one of the first N messages.
        if (count > 0 && handled.incrementAndGet() == count) {
            closeQuietly(stop);
            return false;
        }
        return true;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down and the hook has run or is running.
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Closing at exit: the resource is released all the same.
        }
    }
}
