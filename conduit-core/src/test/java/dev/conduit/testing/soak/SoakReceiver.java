package dev.conduit.testing.soak;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.MessageHandler;
import dev.conduit.MessageReceiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The soak's receiver, in a child JVM: takes {@code TOTAL} sequence numbers' worth of
 * {@link SoakMessages} from whichever sender runs come, checks each, and prints one line
 * {@code RESULT messages=N corrupt=N dup=N reordered=N ends=N torn=N errors=N gaps=S,S,...}.
 *
 * <p>Arguments: {@code MODE ENDPOINT PROGRESS TOTAL [SENDER COMMAND...]}, MODE one of
 * <ul>
 * <li>{@code listen}: accepts one connection at a time, first sends it the next sequence it
 *     expects (8 bytes), and reads it until it ends;</li>
 * <li>{@code fifo}: opens a receiving end, reads it until every writer has gone, then opens a
 *     new one (a FIFO's end of stream is final for its end), counting opens in
 *     {@link SoakProgress#OPENS} so that the chaos process starts the next writer only then;</li>
 * <li>{@code stream}: opens one receiving end for the whole soak ({@code mq:}, {@code log:});</li>
 * <li>{@code spawn}: starts the sender itself ({@code Conduit.spawn} of the command, in which
 *     {@code {run}} is replaced by the run's number), as {@code listen} treats a connection,
 *     and starts the next one when a run's connection ends.</li>
 * </ul>
 * It prints {@code READY ENDPOINT} once senders may come. A message is checked as it comes:
 * its checksum; then its sequence against the next expected: equal is good, greater leaves a
 * gap (the chaos process decides which gaps were messages reported in flight), smaller is a
 * message from a gap arriving late (reordered) or one seen before (duplicate).
 */
public final class SoakReceiver {
    private static final int MAX_GAPS = 100_000;

    private final SoakProgress progress;
    private final long total;
    private final TreeSet<Long> gaps = new TreeSet<>();
    private final Map<String, Integer> endings = new TreeMap<>();
    private long next;
    private long messages;
    private long corrupt;
    private long duplicated;
    private long reordered;
    private long ends;
    private long torn;
    private long errors;
    private int lastRun = -1;
    private final MessageHandler checker = this::check;

    private SoakReceiver(SoakProgress progress, long total) {
        this.progress = progress;
        this.total = total;
    }

    public static void main(String[] args) throws Exception {
        haltWhenParentDies();
        String mode = args[0];
        String endpoint = args[1];
        try (SoakProgress progress = SoakProgress.open(Path.of(args[2]))) {
            SoakReceiver receiver = new SoakReceiver(progress, Long.parseLong(args[3]));
            switch (mode) {
                case "listen" -> receiver.listen(endpoint);
                case "fifo" -> receiver.fifo(endpoint);
                case "stream" -> receiver.stream(endpoint);
                case "spawn" -> receiver.spawn(List.of(args).subList(4, args.length));
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
            System.out.println(receiver.result());
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
                    c.send(ByteBuffer.allocate(8).putLong(0, next));
                    drain(c);
                } catch (IOException e) {
                    ended(e);
                }
            }
        }
    }

    private void spawn(List<String> command) throws IOException {
        ready("stdio");
        for (int run = 1; next < total; run++) {
            String number = Integer.toString(run);
            ProcessBuilder builder = new ProcessBuilder(command.stream().map(a -> a.replace("{run}", number)).toList());
            try (Connection c = Conduit.spawn(builder)) {
                c.send(ByteBuffer.allocate(8).putLong(0, next));
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

    private void drain(MessageReceiver r) throws IOException {
        while (next < total) {
            r.poll(checker, 256, Duration.ofSeconds(1));
            progress.set(SoakProgress.NEXT, next);
        }
    }

    private void check(ByteBuffer view) {
        long stamp = SoakMessages.check(view);
        if (stamp == SoakMessages.CORRUPT) {
            corrupt++;
            System.err.println("soak receiver: corrupt message of " + view.remaining() + " bytes after sequence "
                    + (next - 1));
            return;
        }
        messages++;
        int run = (int) (stamp >>> 32);
        long seq = stamp & 0xFFFFFFFFL;
        if (seq == next) {
            next++;
        } else if (seq > next) {
            for (long s = next; s < seq && gaps.size() < MAX_GAPS; s++) {
                gaps.add(s);
            }
            next = seq + 1;
        } else if (gaps.remove(seq)) {
            reordered++;
        } else {
            duplicated++;
        }
        if (run < lastRun) {
            reordered++;
            System.err.println("soak receiver: sequence " + seq + " from run " + run + " after run " + lastRun);
        }
        lastRun = Math.max(lastRun, run);
    }

    /** A connection or receiving end ended: the sender was killed, or something else went wrong. */
    private void ended(IOException e) {
        ends++;
        String why = String.valueOf(e.getMessage());
        if (why.contains("middle of a message") || why.contains("mid-frame") || why.contains("bytes of it")) {
            torn++;
        }
        if (!(e instanceof ConnectionClosedException)) {
            errors++;
            System.err.println("soak receiver: not a ConnectionClosedException after sequence " + (next - 1) + ": " + e);
        }
        endings.merge(e.getClass().getSimpleName() + ": " + why.replaceAll("[0-9]+", "N"), 1, Integer::sum);
    }

    private static void ready(String endpoint) {
        System.out.println("READY " + endpoint);
        System.out.flush();
    }

    private String result() {
        List<String> gapList = new ArrayList<>();
        gaps.forEach(g -> gapList.add(Long.toString(g)));
        System.out.println("ENDINGS " + endings.entrySet().stream()
                .map(e -> e.getValue() + "x " + e.getKey()).collect(Collectors.joining("; ")));
        return "RESULT messages=" + messages + " corrupt=" + corrupt + " dup=" + duplicated + " reordered=" + reordered
                + " ends=" + ends + " torn=" + torn + " errors=" + errors + " gaps=" + String.join(",", gapList);
    }
}
