package dev.conduit.cli;

import dev.conduit.ConnectionCounters;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.ConnectionRegistry.Row;
import dev.conduit.internal.posix.Native;
import dev.conduit.internal.stat.StatFile;
import dev.conduit.internal.stat.StatFile.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code conduit stat}: the Conduit connections of the running processes on this host, with
 * their counters, read from the files each process publishes in {@code /dev/shm} (see
 * {@code docs/observability.md}), so the processes are neither stopped nor attached to. Files of
 * processes that are gone are removed on the way.
 */
@Command(name = "stat", sortOptions = false,
        description = "Show the Conduit connections of running processes on this host and their counters,"
                + " refreshed every second (Linux: read from /dev/shm/conduit-stat-PID).")
final class StatCommand implements Callable<Integer> {
    private static final Duration PERIOD = Duration.ofSeconds(1);
    private static final String CLEAR = "\033[H\033[2J";
    private static final String FORMAT = "%-8s %-6s %10s %12s %10s %12s %10s %7s %6s  %s%n";

    @Spec
    private CommandSpec spec;

    @Option(names = "--once", description = "Print one table and exit (for scripts).")
    private boolean once;

    @Option(names = "--pid", paramLabel = "PID", description = "Only this process.")
    private long pid = -1;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!Native.isLinux()) {
            throw new TransportUnavailableException("conduit stat: needs Linux (processes publish their counters in"
                    + " /dev/shm); unavailable on " + System.getProperty("os.name"));
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean clear = !once && System.console() != null;
        while (true) {
            List<Table> tables = StatFile.readAll(StatFile.DIRECTORY, pid);
            if (clear) {
                out.print(CLEAR);
            }
            print(tables, out);
            out.flush();
            if (once) {
                return 0;
            }
            Thread.sleep(PERIOD);
        }
    }

    /** Prints one line per connection, under a header; a process without connections gets a line of its own. */
    static void print(List<Table> tables, PrintWriter out) {
        out.printf(FORMAT, "PID", "STATE", "MSGS_OUT", "BYTES_OUT", "MSGS_IN", "BYTES_IN", "BLOCKED", "REFUSED",
                "RECONN", "CONNECTION");
        if (tables.isEmpty()) {
            out.println("(no process on this host publishes Conduit connections)");
        }
        for (Table table : tables) {
            if (table.rows().isEmpty()) {
                out.printf(FORMAT, table.pid(), "-", "", "", "", "", "", "", "", "(no open connections)");
            }
            for (Row row : table.rows().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList()) {
                ConnectionCounters c = row.counters();
                out.printf(FORMAT, table.pid(), row.state(), c.messagesOut(), c.bytesOut(), c.messagesIn(),
                        c.bytesIn(), time(c.sendBlockedNanos()), c.framesRefused(),
                        c.reconnects(), row.name());
            }
        }
    }

    /** @return a wait as people read it: {@code 0}, {@code 850us}, {@code 12.5ms}, {@code 3.2s} */
    static String time(long nanos) {
        if (nanos < 1_000_000) {
            return nanos == 0 ? "0" : (nanos / 1000) + "us";
        }
        return nanos < 1_000_000_000 ? String.format("%.1fms", nanos / 1e6) : String.format("%.1fs", nanos / 1e9);
    }
}
