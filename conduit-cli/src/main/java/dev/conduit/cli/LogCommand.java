package dev.conduit.cli;

import dev.conduit.Conduit;
import dev.conduit.LogDamage;
import dev.conduit.LogDamagedException;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code conduit log verify PATH} and {@code conduit log salvage PATH NEWPATH}: read a
 * {@code log:} endpoint's log from its start with {@code onDamage=skip}, reporting each damaged
 * place on standard error, and copy its intact records into a new log. {@code info}, {@code dump}
 * and {@code trim} ({@link LogTools}) show what a log holds and apply a retention.
 */
@Command(name = "log", sortOptions = false, subcommands = {LogTools.Info.class, LogTools.Dump.class,
    LogTools.Trim.class, LogCommand.Verify.class, LogCommand.Salvage.class},
        description = "Show a log: endpoint's segments, cursors and records, trim it, check its files for damage,"
                + " or copy its intact records into a new log.")
final class LogCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    /** Without a subcommand: a usage error that lists them. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command (expected info, dump, trim, verify or salvage)");
    }

    /**
     * Prints a line on {@code err} for each damaged place {@code receiver}, a {@code log:}
     * receiver, skipped since it had
     * skipped {@code before}.
     *
     * @return how many it has skipped now
     */
    static long reportDamage(MessageReceiver receiver, long before, PrintWriter err) {
        LogDamage damage = LogDamage.of(receiver);
        if (damage.places() == before) {
            return before;
        }
        List<LogDamagedException> reports = damage.reports();
        long unseen = damage.places() - before;
        if (unseen > reports.size()) {
            err.println("conduit: " + (unseen - reports.size()) + " more damaged places skipped, reports not kept");
        }
        for (LogDamagedException e : reports.subList((int) Math.max(0, reports.size() - unseen), reports.size())) {
            err.println("conduit: " + e.getMessage());
        }
        err.flush();
        return damage.places();
    }

    /** @return a receiver of the log at {@code path} from its start, skipping damage; it must exist */
    private static MessageReceiver openDamaged(CommandSpec spec, Path path) throws IOException {
        return openDamaged(spec, path, "start");
    }

    /** @return a receiver of the log at {@code path} from {@code from}, skipping damage; it must exist */
    static MessageReceiver openDamaged(CommandSpec spec, Path path, String from) throws IOException {
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new ParameterException(spec.commandLine(), path + " is not a log's directory");
        }
        return Conduit.openReceiver("log:" + path.toAbsolutePath() + "?from=" + from
                + "&onDamage=skip&spin=0&maxFrame=1g");
    }

    /**
     * Reads the log to its end (or to a record its live writer has not yet committed), calling
     * {@code copy} with each intact message.
     *
     * @return the damage skipped
     */
    private static LogDamage readAll(MessageReceiver receiver, PrintWriter err, IoConsumer copy) throws IOException {
        long damaged = 0;
        for (byte[] m = receiver.tryReceive(); m != null; m = receiver.tryReceive()) {
            damaged = reportDamage(receiver, damaged, err);
            copy.accept(m);
        }
        reportDamage(receiver, damaged, err);
        return LogDamage.of(receiver);
    }

    private interface IoConsumer {
        void accept(byte[] message) throws IOException;
    }

    /** {@code conduit log verify PATH}. */
    @Command(name = "verify", description = {"Read the log in PATH from its start and report each damaged place"
            + " (its segment file, position and what is wrong) on standard error.",
        "Exits 0 if there is none, 1 otherwise."})
    static final class Verify extends LogTools.OnLog implements Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            long[] records = {0};
            LogDamage damage;
            try (MessageReceiver receiver = openDamaged(spec, path)) {
                damage = readAll(receiver, err, m -> records[0]++);
            }
            spec.commandLine().getOut().println(path + ": " + records[0] + " intact records, " + damage.places()
                    + " damaged places (" + damage.bytes() + " bytes skipped)");
            return damage.places() == 0 ? 0 : Main.EXIT_FAILURE;
        }
    }

    /** {@code conduit log salvage PATH NEWPATH}. */
    @Command(name = "salvage", description = {"Copy the intact records of the log in PATH, in order, into a new log"
            + " in NEWPATH, reporting each damaged place skipped on standard error.",
        "NEWPATH must not exist. Exits 0 once the copy is made, even if records were skipped."})
    static final class Salvage implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PATH", description = "The damaged log's directory.")
        private Path path;

        @Parameters(index = "1", paramLabel = "NEWPATH", description = "The new log's directory.")
        private Path newPath;

        @Override
        public Integer call() throws IOException {
            if (Files.exists(newPath, LinkOption.NOFOLLOW_LINKS)) {
                throw new ParameterException(spec.commandLine(), newPath + " exists; salvage makes a new log");
            }
            PrintWriter err = spec.commandLine().getErr();
            long[] records = {0};
            LogDamage damage;
            try (MessageReceiver receiver = openDamaged(spec, path);
                    MessageSender copy = Conduit.openSender("log:" + newPath.toAbsolutePath() + "?sync=none")) {
                damage = readAll(receiver, err, m -> {
                    copy.send(m);
                    records[0]++;
                });
            }
            spec.commandLine().getOut().println("copied " + records[0] + " records to " + newPath + "; skipped "
                    + damage.places() + " damaged places (" + damage.bytes() + " bytes)");
            return 0;
        }
    }
}
