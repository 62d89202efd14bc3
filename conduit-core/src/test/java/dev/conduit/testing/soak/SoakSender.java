package dev.conduit.testing.soak;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * One run of the soak's sender, in a child JVM that the chaos process may kill at any moment.
 *
 * <p>Arguments: {@code oneway|twoway ENDPOINT PROGRESS REPORTS RUN TOTAL MOST [reconnect]}. It sends
 * messages {@link SoakMessages} numbers up to {@code TOTAL - 1}, each with at most {@code MOST}
 * payload bytes, recording in {@link SoakProgress} before and after each send. It resumes where
 * its predecessor left off:
 * <ul>
 * <li>{@code twoway}: the receiver's first message on the connection is the next sequence it
 *     expects and the receiver's run number (8 bytes each). That is where sending resumes; the
 *     message that was in flight at the kill is sent again if it did not arrive. If the same
 *     receiver run answered the predecessor, fewer than the predecessor saw returned from
 *     {@code send} is loss; if a restarted receiver answers, the returned sends it lacks were
 *     in the killed receiver's buffers or the connection's, never processed, and are sent
 *     again ({@code resent}). More than it started is a duplicate. With {@code reconnect}
 *     (receivers are being killed too), a connection that fails is made again, as a fresh
 *     run would.</li>
 * <li>{@code oneway}: the receiver cannot answer, so the run resumes after the last message
 *     whose send was started. One whose send had not returned is reported as in flight: it
 *     may or may not have arrived, and the receiver must not count it as lost.</li>
 * </ul>
 * Each connection appends one line to {@code REPORTS}: {@code run=R inflight=SEQ|-1
 * arrived=yes|no|unknown lost=N beyond=N from=SEQ receiver=R|0 resent=N again=yes|no}, where
 * {@code again} marks a connection made again after one failed within the run.
 * {@code ENDPOINT} {@code stdio} is the child side of {@code Conduit.spawn}.
 */
public final class SoakSender {
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private SoakSender() {
    }

    public static void main(String[] args) throws Exception {
        SoakReceiver.haltWhenParentDies();
        boolean twoWay = args[0].equals("twoway");
        String endpoint = args[1];
        Path reports = Path.of(args[3]);
        int run = Integer.parseInt(args[4]);
        long total = Long.parseLong(args[5]);
        int most = Integer.parseInt(args[6]);
        boolean reconnect = args.length > 7 && args[7].equals("reconnect") && !endpoint.equals("stdio");
        try (SoakProgress progress = SoakProgress.open(Path.of(args[2]))) {
            progress.set(SoakProgress.PID, ProcessHandle.current().pid());
            progress.set(SoakProgress.RUN, run);
            if (!twoWay) {
                long started = progress.get(SoakProgress.STARTED);
                long done = progress.get(SoakProgress.DONE);
                try (MessageSender s = Conduit.openSender(endpoint, PATIENCE)) {
                    report(reports, run, started > done ? done : -1, "unknown", 0, 0, started, 0, 0, false);
                    progress.set(SoakProgress.DONE, started);
                    sendFrom(s, progress, run, started, total, most);
                }
                return;
            }
            for (boolean again = false; ; again = true) {
                try {
                    connectAndSend(endpoint, progress, reports, run, total, most, again);
                    return;
                } catch (IOException e) {
                    if (!reconnect) {
                        throw e;
                    }
                    System.err.println("soak sender run " + run + ": connecting again after " + e);
                }
            }
        }
    }

    private static void connectAndSend(String endpoint, SoakProgress progress, Path reports, int run, long total,
            int most, boolean again) throws IOException {
        long started = progress.get(SoakProgress.STARTED);
        long done = progress.get(SoakProgress.DONE);
        long inFlight = started > done ? done : -1;
        try (Connection c = endpoint.equals("stdio") ? Conduit.stdio() : Conduit.connect(endpoint, PATIENCE)) {
            byte[] answer = c.receive(PATIENCE);
            if (answer == null || answer.length != 16) {
                throw new IOException(endpoint + ": run " + run + ": expected the receiver's next sequence and run"
                        + " (16 bytes), got " + (answer == null ? "nothing in " + PATIENCE : answer.length + " bytes"));
            }
            long next = ByteBuffer.wrap(answer).getLong(0);
            long receiver = ByteBuffer.wrap(answer).getLong(8);
            boolean sameReceiver = receiver == progress.get(SoakProgress.SEEN);
            String arrived = inFlight < 0 ? "unknown" : next > inFlight ? "yes" : "no";
            long shortfall = Math.max(0, done - next);
            report(reports, run, inFlight, arrived, sameReceiver ? shortfall : 0, Math.max(0, next - started), next,
                    receiver, sameReceiver ? 0 : shortfall, again);
            progress.set(SoakProgress.SEEN, receiver);
            progress.set(SoakProgress.DONE, next);
            progress.set(SoakProgress.STARTED, next);
            sendFrom(c, progress, run, next, total, most);
        }
    }

    private static void sendFrom(MessageSender sender, SoakProgress progress, int run, long from, long total, int most)
            throws IOException {
        ByteBuffer message = ByteBuffer.allocate(SoakMessages.STAMP + most);
        for (long seq = from; seq < total; seq++) {
            for (long hold = progress.get(SoakProgress.HOLD); hold > 0 && seq >= hold;
                    hold = progress.get(SoakProgress.HOLD)) {
                LockSupport.parkNanos(1_000_000);
            }
            SoakMessages.fill(message, run, seq, SoakMessages.size(seq, most));
            progress.set(SoakProgress.STARTED, seq + 1);
            sender.send(message);
            progress.set(SoakProgress.DONE, seq + 1);
        }
    }

    private static void report(Path reports, int run, long inFlight, String arrived, long lost, long beyond, long from,
            long receiver, long resent, boolean again) throws IOException {
        appendLine(reports, "run=" + run + " inflight=" + inFlight + " arrived=" + arrived + " lost=" + lost
                + " beyond=" + beyond + " from=" + from + " receiver=" + receiver + " resent=" + resent
                + " again=" + (again ? "yes" : "no"));
    }

    /** Appends {@code line} and a newline in one write(2) with O_APPEND, so a kill never leaves half of it. */
    static void appendLine(Path file, String line) throws IOException {
        Files.write(file, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
}
