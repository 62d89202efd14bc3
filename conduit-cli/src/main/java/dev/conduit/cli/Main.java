package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.internal.session.SessionProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * The {@code conduit} command: {@code listen}, {@code connect}, {@code send}, {@code demo},
 * {@code log} and {@code stat}.
 *
 * <p>Exit codes:
 * <ul>
 *   <li>0: done: {@code connect}'s input ended, {@code listen} reached {@code --count} or was
 *       interrupted, {@code send} sent everything (and had its replies);</li>
 *   <li>1: the command failed (one line {@code conduit: MESSAGE} on standard error;
 *       {@code --verbose} adds the stack trace);</li>
 *   <li>2: a usage error;</li>
 *   <li>3: the JVM ran out of memory ({@code bin/conduit} runs it with
 *       {@code -XX:+ExitOnOutOfMemoryError});</li>
 *   <li>4 ({@link #EXIT_PEER_ENDED}): the peer ended first, said in one line on standard error:
 *       {@code connect}'s server closed before standard input ended, or its one-way receiver
 *       went away ({@code fifo:}: the reader closed; {@code mq:}: the queue was removed); or
 *       {@code listen} on a one-way endpoint saw its writer go ({@code fifo:}: the last writer
 *       closed; {@code zipc:}: the sender closed or died; {@code mq:}: the queue was removed).
 *       A {@code log:} has no peer to lose: its reader waits for more and its writer appends.</li>
 * </ul>
 */
@Command(name = "conduit", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        footer = {"", "Exit status: 0 done, 1 failed, 2 usage error, 3 out of memory, 4 the peer ended first (connect's"
                + " server closed before input ended; listen's one-way writer went away).",
            "", "Try 'conduit demo' to see every transport round-trip messages with a child JVM."})
public final class Main implements Callable<Integer> {
    /** Exit code of a command that failed. */
    static final int EXIT_FAILURE = 1;
    /** Exit code of a usage error. */
    static final int EXIT_USAGE = 2;
    /** Exit code when the peer ended first: {@code connect}'s server, {@code listen}'s one-way writer. */
    static final int EXIT_PEER_ENDED = 4;

    @Spec
    private CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On failure, print the stack trace after the error message.")
    private boolean verbose;

    private Main() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments, e.g. {@code listen unix:/tmp/app.sock}
     */
    public static void main(String[] args) {
        // Messages are UTF-8 text; write them so whatever the platform's console encoding says.
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                StandardCharsets.UTF_8), true);
        System.exit(run(System.in, out, err, args));
    }

    /**
     * Runs one command line in this JVM, for {@link #main} and tests. Does not exit the JVM.
     *
     * @param in   what {@code connect} reads messages from
     * @param out  where messages and results go
     * @param err  where status lines and errors go
     * @param args the arguments
     * @return the exit code
     */
    static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        // From the registry, so a transport plugged in from another jar shows up too.
        cl.getCommandSpec().usageMessage().description("Inter-process messaging from the command line. An ENDPOINT"
                + " is SCHEME:ADDRESS with options after '?' (e.g. unix:/tmp/app.sock?mode=0660, tcp://127.0.0.1:7000,"
                + " ws://127.0.0.1:8080/chat); the schemes of this build: " + String.join(", ", Conduit.schemes())
                + ". Durations are a whole number and a unit (50us, 500ms, 5s, 1m); sizes bytes, 64k or 16m.");
        cl.addSubcommand(new ListenCommand());
        cl.addSubcommand(new ConnectCommand(in));
        cl.addSubcommand(new SendCommand());
        cl.addSubcommand(new DemoCommand());
        cl.addSubcommand("bench", BenchLoader.command());
        cl.addSubcommand(new DemoPeerCommand());
        cl.addSubcommand(new LogCommand());
        cl.addSubcommand(new StatCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> failure(e, commandLine, parseResult));
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Without a subcommand: a usage error that lists the subcommands. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(),
                "missing command (expected listen, connect, send, demo, bench, log or stat)");
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("conduit: " + e.getMessage() + " (see '" + cl.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return EXIT_USAGE;
    }

    private static int failure(Exception e, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        err.println("conduit: " + describe(e));
        if (isVerbose(parseResult)) {
            e.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /**
     * @param endpoint an endpoint as the user wrote it, already parsed once
     * @return it as messages show it: with secret option values ({@code authkey}, {@code token})
     *         hidden, see {@link Endpoint#redacted()}
     */
    static String shown(String endpoint) {
        return Endpoint.parse(endpoint).redacted();
    }

    /**
     * Says on standard error that the peer ended first.
     *
     * @param err   standard error
     * @param cause what said so, whose message names the endpoint
     * @return {@link #EXIT_PEER_ENDED}
     */
    static int peerEnded(PrintWriter err, Throwable cause) {
        err.println("conduit: " + describe(cause));
        err.flush();
        return EXIT_PEER_ENDED;
    }

    /**
     * Fails a raw client whose first message is a session hello (see docs/wire-format.md).
     *
     * @param connection the raw connection, named in the message
     * @param first      the first message it received
     * @throws IOException if {@code first} is a session hello: the listener speaks the session protocol
     */
    static void refuseSessionHello(Connection connection, ByteBuffer first) throws IOException {
        if (SessionProtocol.isHello(first)) {
            String hello = StandardCharsets.US_ASCII.decode(first.duplicate().position(first.position() + 1)).toString();
            throw new IOException(connection.endpoint().redacted() + ": the listener speaks Conduit's session protocol"
                    + " (its first message is the session hello, byte 00 then '" + hello + "'); add ?protocol=conduit"
                    + " to the endpoint");
        }
    }

    /** @return the exception's message, which for Conduit's exceptions names the endpoint */
    static String describe(Throwable e) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        boolean expected = t instanceof IOException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException;
        return expected && t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static boolean isVerbose(ParseResult parseResult) {
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** Prints the jar's version and the JVM it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Objects.requireNonNullElse(Main.class.getPackage().getImplementationVersion(),
                    "(development build)");
            return new String[] {
                "conduit " + version,
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")"
            };
        }
    }
}
