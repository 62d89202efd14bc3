package dev.conduit.testing.soak;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.LogPosition;
import dev.conduit.MessageHandler;
import dev.conduit.MessageReceiver;
import dev.conduit.queue.MessageQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The soak's receiver, in a child JVM that the chaos process may kill at any moment: takes
 * {@code TOTAL} sequence numbers' worth of {@link SoakMessages} from whichever sender runs come,
 * and records each in the {@link SoakLedger}, its durable state. A message counts as processed
 * once recorded; a restarted run resumes after the last one recorded, so what a killed run had
 * taken from the transport but not recorded is taken again where the transport still has it.
 * The chaos process checks the ledger afterwards ({@link SoakAudit}).
 *
 * <p>Arguments: {@code MODE ENDPOINT PROGRESS LEDGER ENDINGS TOTAL [SENDER COMMAND...]}, MODE one of
 * <ul>
 * <li>{@code listen}: accepts one connection at a time, first sends it the next sequence it
 *     expects and its own run number (8 bytes each), and reads it until it ends;</li>
 * <li>{@code fifo}: opens a receiving end, reads it until every writer has gone, then opens a
 *     new one (a FIFO's end of stream is final for its end), counting opens in
 *     {@link SoakProgress#OPENS} so that the chaos process starts the next writer only then;</li>
 * <li>{@code stream}: opens one receiving end for the whole run ({@code mq:});</li>
 * <li>{@code log}: the same from the start of the log, or in a restarted run from the
 *     {@code LogPosition} recorded with the last processed message;</li>
 * <li>{@code spawn}: starts the sender itself ({@code Conduit.spawn} of the command, in which
 *     {@code {run}} is replaced by the run's number), as {@code listen} treats a connection,
 *     and starts the next one when a run's connection ends.</li>
 * </ul>
 * It prints {@code READY ENDPOINT} once senders may come, and appends one line to
 * {@code ENDINGS} for each connection or receiving end that ended. A restarted run removes, when
 * done, the FIFO or queue its killed predecessor made: Conduit removes only what the closing end
 * made itself, and a killed end closes nothing.
 */
public final class SoakReceiver {
    private final SoakProgress progress;
    private final SoakLedger ledger;
    private final Path endings;
    private final long total;
    private final int run;
    private long next;
    private MessageReceiver logReceiver;
    private final MessageHandler checker = this::check;

    private SoakReceiver(SoakProgress progress, SoakLedger ledger, Path endings, long total) {
        this.progress = progress;
        this.ledger = ledger;
        this.endings = endings;
        this.total = total;
        this.run = (int) progress.get(SoakProgress.RECEIVER_RUN) + 1;
        ledger.begin(run);
        this.next = ledger.next();
        progress.set(SoakProgress.RECEIVER_PID, ProcessHandle.current().pid());
        progress.set(SoakProgress.RECEIVER_RUN, run);
        progress.set(SoakProgress.NEXT, next);
    }

    public static void main(String[] args) throws Exception {
        haltWhenParentDies();
        String mode = args[0];
        String endpoint = args[1];
        long total = Long.parseLong(args[5]);
        try (SoakProgress progress = SoakProgress.open(Path.of(args[2]));
                SoakLedger ledger = SoakLedger.open(Path.of(args[3]), SoakLedger.capacityFor(total))) {
            SoakReceiver receiver = new SoakReceiver(progress, ledger, Path.of(args[4]), total);
            switch (mode) {
                case "listen" -> receiver.listen(endpoint);
                case "fifo" -> receiver.fifo(endpoint);
                case "stream" -> receiver.stream(endpoint);
                case "log" -> receiver.log(endpoint);
                case "spawn" -> receiver.spawn(List.of(args).subList(6, args.length));
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
            receiver.removeWhatKilledRunsLeft(endpoint);
            System.out.println("RESULT run=" + receiver.run + " next=" + receiver.next);
        }
    }

    /** Ends this JVM if its parent goes, so that a killed test leaves no child behind. */
    static void haltWhenParentDies() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    }

    private void listen(String endpoint) throws IOException {
        try (Listener listener = Conduit.listen(endpoint)) {
            ready(listener.endpoint().toString());
            while (next < total) {
                try (Connection c = listener.accept()) {
                    c.send(ByteBuffer.allocate(16).putLong(0, next).putLong(8, run));
                    drain(c);
                } catch (IOException e) {
                    ended(e);
                }
            }
        }
    }

    private void spawn(List<String> command) throws IOException {
        ready("stdio");
        // Sender runs are numbered on across receiver runs, so their order can be checked.
        for (long senderRun = progress.get(SoakProgress.RUN) + 1; next < total; senderRun++) {
            String number = Long.toString(senderRun);
            ProcessBuilder builder = new ProcessBuilder(command.stream().map(a -> a.replace("{run}", number)).toList());
            try (Connection c = Conduit.spawn(builder)) {
                c.send(ByteBuffer.allocate(16).putLong(0, next).putLong(8, run));
                drain(c);
            } catch (IOException e) {
                ended(e);
            }
        }
    }

    private void fifo(String endpoint) throws IOException {
        boolean first = true;
        while (next < total) {
            try (MessageReceiver r = Conduit.openReceiver(endpoint)) {
                progress.set(SoakProgress.OPENS, progress.get(SoakProgress.OPENS) + 1);
                if (first) {
                    ready(endpoint);
                    first = false;
                }
                drain(r);
            } catch (IOException e) {
                ended(e);
            }
        }
    }

    private void stream(String endpoint) throws IOException {
        try (MessageReceiver r = Conduit.openReceiver(endpoint)) {
            ready(endpoint);
            drain(r);
        }
    }

    private void log(String endpoint) throws IOException {
        String from = ledger.count() == 0 ? "start" : Long.toString(ledger.position());
        try (MessageReceiver r = Conduit.openReceiver(endpoint + "?from=" + from)) {
            logReceiver = r;
            ready(endpoint);
            drain(r);
        }
    }

    private void drain(MessageReceiver r) throws IOException {
        while (next < total) {
            r.poll(checker, 256, Duration.ofSeconds(1));
        }
    }

    private void check(ByteBuffer view) {
        long stamp = SoakMessages.check(view);
        long position = logReceiver == null ? 0 : LogPosition.of(logReceiver).offset();
        if (stamp == SoakMessages.CORRUPT) {
            System.err.println("soak receiver: corrupt message of " + view.remaining() + " bytes after sequence "
                    + (next - 1));
        } else {
            next = Math.max(next, (stamp & 0xFFFFFFFFL) + 1);
        }
        ledger.record(stamp, position);
        progress.set(SoakProgress.NEXT, next);
    }

    /** A connection or receiving end ended: the sender was killed, or something else went wrong. */
    private void ended(IOException e) throws IOException {
        if (!(e instanceof ConnectionClosedException)) {
            System.err.println("soak receiver: not a ConnectionClosedException after sequence " + (next - 1) + ": " + e);
        }
        String why = String.valueOf(e.getMessage()).replaceAll("[0-9]+", "N").replace('\n', ' ');
        SoakSender.appendLine(endings, e.getClass().getSimpleName() + ": " + why);
    }

    private void removeWhatKilledRunsLeft(String endpoint) throws IOException {
        if (run == 1) {
            return;
        }
        if (endpoint.startsWith("fifo:")) {
            Files.deleteIfExists(Path.of(endpoint.substring("fifo:".length())));
        } else if (endpoint.startsWith("mq:")) {
            try (MessageQueue q = MessageQueue.open(Integer.decode(endpoint.substring("mq:".length())),
                    MessageQueue.Options.DEFAULT.withExisting())) {
                q.remove();
            }
        }
    }

    private static void ready(String endpoint) {
        System.out.println("READY " + endpoint);
        System.out.flush();
    }
}
