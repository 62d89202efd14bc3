package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.MessageReceiver;

import java.io.PrintStream;

/**
 * A child JVM that reads a log through a named cursor and prints each message's number on a line
 * of {@link #LINE} characters, until it has printed the number {@code last} or is killed. The long
 * lines fill the pipe to its parent, so the child blocks in the middle of the stream until the
 * parent reads: a kill lands mid-stream.
 */
public final class LogCursorChild {
    static final int LINE = 1000;

    private LogCursorChild() {
    }

    /** @param args the endpoint (with {@code ?cursor=}), then the last number to print */
    public static void main(String[] args) throws Exception {
        int last = Integer.parseInt(args[1]);
        PrintStream out = new PrintStream(System.out, false);
        String padding = ".".repeat(LINE);
        try (MessageReceiver receiver = Conduit.openReceiver(args[0])) {
            while (true) {
                int seq = LogWriterChild.check(receiver.receive());
                String line = seq + " " + padding;
                out.print(line.substring(0, LINE) + "\n");
                out.flush();
                if (seq == last) {
                    return;
                }
            }
        }
    }
}
