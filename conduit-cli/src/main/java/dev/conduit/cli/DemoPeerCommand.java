package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code conduit demo-peer} (hidden): the child side of {@code conduit demo}. It talks to the
 * parent over standard input and output ({@link Conduit#stdio()}) and obeys one command message
 * at a time, answering each with one message:
 *
 * <pre>
 * parent                              child
 *                                     ready            (once, at start)
 * stdio N                             echoes N messages on this connection, then: done
 * stdio                               echoes until an empty message, then: done
 * echo ENDPOINT                       connects, echoes until the parent closes, then: done
 * relay IN OUT                        opens a receiver on the one-way endpoint IN and a sender
 *                                     on OUT, echoes until an empty message, then: done
 *                                     or, if anything failed: error MESSAGE
 * </pre>
 *
 * The child exits when the parent closes its standard input (or dies).
 */
@Command(name = "demo-peer", hidden = true,
        description = "The child side of 'conduit demo': obeys commands over standard input and output.")
final class DemoPeerCommand implements Callable<Integer> {
    /** The child's first message. */
    static final String READY = "ready";
    /** The child's answer to a command that succeeded. */
    static final String DONE = "done";
    /** Starts the child's answer to a command that failed; the rest is the error message. */
    static final String ERROR = "error ";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public Integer call() throws IOException {
        try (Connection control = Conduit.stdio()) {
            control.send(READY);
            while (true) {
                String command;
                try {
                    command = control.receiveString();
                } catch (ConnectionClosedException e) {
                    return 0; // the parent is done with us
                }
                control.send(obey(control, command));
            }
        }
    }

    /**
     * Carries out one command.
     *
     * @param control the connection the command came on
     * @param command {@code stdio}, {@code stdio N}, {@code echo ENDPOINT} or {@code relay IN OUT}
     * @return {@link #DONE}, or {@link #ERROR} and why
     */
    static String obey(Connection control, String command) {
        int space = command.indexOf(' ');
        String verb = space < 0 ? command : command.substring(0, space);
        String argument = space < 0 ? "" : command.substring(space + 1);
        try {
            switch (verb) {
                case "stdio" -> {
                    if (argument.isEmpty()) {
                        echoUntilEmpty(control, control);
                    } else {
                        echo(control, Long.parseLong(argument));
                    }
                }
                case "echo" -> echoAt(argument);
                case "relay" -> relay(argument.substring(0, argument.indexOf(' ')),
                        argument.substring(argument.indexOf(' ') + 1));
                default -> {
                    return ERROR + "unknown command '" + command + "' (expected stdio N, echo ENDPOINT or relay IN"
                            + " OUT)";
                }
            }
            return DONE;
        } catch (IOException | RuntimeException e) {
            return ERROR + Main.describe(e);
        }
    }

    /**
     * Connects to {@code endpoint} and echoes every message until the peer closes. Blocks throughout.
     *
     * @param endpoint where the measuring side listens
     * @throws IOException if connecting or echoing fails
     */
    static void echoAt(String endpoint) throws IOException {
        try (Connection connection = Conduit.connect(endpoint, CONNECT_TIMEOUT)) {
            echo(connection, Long.MAX_VALUE);
        }
    }

    /**
     * Echoes what arrives on the one-way endpoint {@code in} to {@code out} until an empty
     * message arrives. Blocks throughout; the parent opens its receiver on {@code out} first.
     *
     * @throws IOException if opening or echoing fails
     */
    static void relay(String in, String out) throws IOException {
        try (MessageReceiver receiver = Conduit.openReceiver(in);
             MessageSender sender = Conduit.openSender(out, CONNECT_TIMEOUT)) {
            echoUntilEmpty(receiver, sender);
        }
    }

    /**
     * Sends every message back unchanged until an empty one, which no payload is. Blocks throughout.
     *
     * @throws IOException if the connection fails or closes first
     */
    static void echoUntilEmpty(MessageReceiver in, MessageSender out) throws IOException {
        for (byte[] m = in.receive(); m.length > 0; m = in.receive()) {
            out.send(m);
        }
    }

    /**
     * Sends every message back unchanged until {@code limit} were echoed or the peer closes.
     * Blocks throughout.
     *
     * @param connection the connection
     * @param limit      how many messages to echo at most
     * @throws IOException if the connection fails, or closes before {@code limit} when a limit is set
     */
    static void echo(Connection connection, long limit) throws IOException {
        try {
            for (long n = 0; n < limit; n++) {
                connection.send(connection.receive());
            }
        } catch (ConnectionClosedException e) {
            if (limit != Long.MAX_VALUE) {
                throw e;
            }
        }
    }
}
