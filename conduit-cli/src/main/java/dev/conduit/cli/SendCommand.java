package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
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

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code conduit send}: one connection, the given messages in order, and optionally one reply to each. */
@Command(name = "send", sortOptions = false,
        description = "Connect to ENDPOINT, send each MESSAGE, and with --reply print one reply to each;"
                + " for a one-way endpoint (fifo:, mq:, log:, zipc:), open its sending end and send; to a nats://"
                + " subject, publish (with --reply, connect to a listener of the subject).")
final class SendCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ENDPOINT", description = "Where to connect, e.g. unix:/tmp/app.sock.")
    private String endpoint;

    @Mixin
    private WebSocketOptions webSocket;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "MESSAGE",
            description = "The messages, each written in the --format.")
    private List<String> messages;

    @Option(names = "--reply", description = "After each message, wait for one reply and print it as one line.")
    private boolean reply;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Formats.FormatConverter.class,
            description = "How messages and replies are written: text (UTF-8; \\n, \\r, \\\\ escaped), hex or"
                    + " base64. Default: ${DEFAULT-VALUE}.")
    private Format format;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = Durations.Converter.class,
            description = "How long to keep trying to connect, and to wait for each reply, e.g. 500ms, 5s, 1m."
                    + " Default: ${DEFAULT-VALUE}.")
    private Duration timeout;

    @Override
    public Integer call() throws IOException {
        endpoint = webSocket.apply(endpoint);
        List<byte[]> payloads = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            try {
                payloads.add(format.decode(messages.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("message " + (i + 1) + " of " + messages.size() + ": "
                        + e.getMessage(), e);
            }
        }
        if (reply && Endpoint.parse(endpoint).scheme().equals("stdio")) {
            // Without --reply, sending to a parent over stdio is fine: nothing else is printed.
            throw new ParameterException(spec.commandLine(), "endpoint '" + Main.shown(endpoint) + "': --reply prints to"
                    + " standard output, which this endpoint uses as the connection");
        }
        // A subject (nats://) is published to, unless a reply is wanted from a listener.
        if (Endpoint.parse(endpoint).isOneWay() || !reply && Endpoint.parse(endpoint).opensEitherWay()) {
            if (reply) {
                throw new ParameterException(spec.commandLine(), "endpoint '" + Main.shown(endpoint) + "': --reply needs a"
                        + " two-way endpoint; this one only sends");
            }
            try (MessageSender sender = Conduit.openSender(endpoint, timeout)) {
                for (byte[] payload : payloads) {
                    sender.send(payload);
                }
            }
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Connection connection = Conduit.connect(endpoint, timeout)) {
            for (int i = 0; i < payloads.size(); i++) {
                connection.send(payloads.get(i));
                if (reply) {
                    byte[] answer = connection.receive(timeout);
                    if (answer == null) {
                        throw new IOException(connection.endpoint() + ": no reply to message " + (i + 1) + " of "
                                + payloads.size() + " within " + Durations.format(timeout));
                    }
                    if (i == 0) {
                        Main.refuseSessionHello(connection, ByteBuffer.wrap(answer));
                    }
                    out.println(format.encode(answer));
                    out.flush();
                }
            }
        }
        return 0;
    }
}
