package dev.conduit.testing.soak;

import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.frame.StreamDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks, after a soak, what the receiver runs processed ({@link SoakLedger}) against what the
 * sender runs reported: counts what was lost, duplicated, reordered or corrupt.
 *
 * <p>A stamp equal to the next sequence expected is good; a greater one leaves a gap, a smaller
 * one is a gap filled late (reordered) or a message seen before (duplicate). A gap is excused
 * only when a one-way sender reported it in flight at its predecessor's kill, or when a receiver
 * kill may honestly lose it ({@link #PROMISES}): on {@code mq:} the one message a killed reader
 * had taken from the queue ({@code msgrcv}) but not recorded; on {@code fifo:}, whose reader and
 * writer are killed together, what was in the pipe and the reader's buffer, in bytes at most
 * the pipe's 64 KiB plus the decoder's buffer and one message. Every other transport promises
 * that a receiver kill loses nothing, so any other gap is lost.
 */
final class SoakAudit {
    /** What a receiver kill may lose, by transport; a transport not named may lose nothing. */
    static final Map<String, String> PROMISES = Map.of(
            "mq", "the one message the killed reader had taken from the queue",
            "fifo", "what was in the pipe and the killed reader's buffer: at most 64 KiB plus the decoder's buffer"
                    + " and one message, in bytes");
    private static final long PIPE_BYTES = 65_536;

    private final Soak.Settings settings;
    private final int most;
    private final TreeSet<Long> gaps = new TreeSet<>();
    private final Set<Long> atReceiverKills = new HashSet<>();
    private long next;
    private long messages;
    private long corrupt;
    private long duplicated;
    private long reordered;
    private int lastRun = -1;

    SoakAudit(Soak.Settings settings, int most) {
        this.settings = settings;
        this.most = most;
    }

    /** Reads the ledger, the senders' reports and the receivers' endings, and counts. */
    Soak.Result audit(SoakLedger ledger, int receiverRuns, Path reports, Path endings, int kills, int receiverKills,
            double seconds, List<String> leftovers) throws IOException {
        walk(ledger, receiverRuns);
        Map<Long, String> inFlight = new HashMap<>();
        long senderLost = 0;
        long beyond = 0;
        long resent = 0;
        long errors = 0;
        Map<Integer, String> receiverOfRun = new HashMap<>();
        for (String line : Files.exists(reports) ? Files.readAllLines(reports) : List.<String>of()) {
            Map<String, String> r = pairs(line);
            long seq = Long.parseLong(r.get("inflight"));
            if (seq >= 0) {
                inFlight.put(seq, r.get("arrived"));
            }
            senderLost += Long.parseLong(r.get("lost"));
            beyond += Long.parseLong(r.get("beyond"));
            resent += Long.parseLong(r.getOrDefault("resent", "0"));
            String before = receiverOfRun.put(Integer.parseInt(r.get("run")), r.get("receiver"));
            if ("yes".equals(r.get("again")) && r.get("receiver").equals(before)) {
                // The connection failed though its receiver lived on: not a kill.
                errors++;
            }
        }
        long excused = gaps.stream().filter(atReceiverKills::contains).count();
        gaps.removeAll(atReceiverKills);
        long lost;
        int arrived;
        if (oneWay(settings.transport())) {
            lost = gaps.stream().filter(g -> !inFlight.containsKey(g)).count();
            arrived = (int) inFlight.keySet().stream().filter(s -> !gaps.contains(s)).count();
        } else {
            // A two-way sender resends what did not arrive, so any gap at all is a loss.
            lost = gaps.size() + senderLost;
            arrived = (int) inFlight.values().stream().filter("yes"::equals).count();
        }
        List<String> ends = Files.exists(endings) ? Files.readAllLines(endings) : List.of();
        errors += ends.stream().filter(e -> !e.startsWith("ConnectionClosedException:")).count();
        long torn = ends.stream().filter(e -> e.contains("middle of a message") || e.contains("mid-frame")
                || e.contains("bytes of it")).count();
        String endingCounts = ends.stream().collect(Collectors.groupingBy(e -> e, TreeMap::new, Collectors.counting()))
                .entrySet().stream().map(e -> e.getValue() + "x " + e.getKey()).collect(Collectors.joining("; "));
        return new Soak.Result(settings, messages, kills, receiverKills, inFlight.size(), arrived, lost, excused,
                resent, duplicated + beyond, reordered, corrupt, errors, torn, seconds, endingCounts, leftovers);
    }

    /** Goes through the ledger as the receiver runs processed it, excusing at each restart what the kill may lose. */
    private void walk(SoakLedger ledger, int receiverRuns) {
        TreeMap<Long, Integer> restarts = new TreeMap<>();
        for (int run = receiverRuns; run >= 2; run--) {
            restarts.put(ledger.runStart(run), run);
        }
        long count = ledger.count();
        for (long i = 0; i < count; i++) {
            long stamp = ledger.stamp(i);
            if (restarts.containsKey(i) && stamp != SoakMessages.CORRUPT) {
                excuse(next, stamp & 0xFFFFFFFFL);
            }
            check(stamp);
        }
    }

    /** The first message after a receiver restart is {@code first}; {@code from} was the one expected. */
    private void excuse(long from, long first) {
        switch (settings.transport()) {
            case "mq" -> atReceiverKills.add(from);
            case "fifo" -> {
                long bound = PIPE_BYTES + 2L * Math.max(StreamDecoder.DEFAULT_BUFFER_BYTES, frameBytes(most));
                long bytes = 0;
                for (long s = from; s < first && bytes + frameBytes(SoakMessages.size(s, most)) <= bound; s++) {
                    bytes += frameBytes(SoakMessages.size(s, most));
                    atReceiverKills.add(s);
                }
            }
            default -> {
                // This transport promises that a receiver kill loses nothing.
            }
        }
    }

    private static int frameBytes(int payload) {
        return Frames.HEADER_BYTES + SoakMessages.STAMP + payload;
    }

    private void check(long stamp) {
        if (stamp == SoakMessages.CORRUPT) {
            corrupt++;
            return;
        }
        messages++;
        int run = (int) (stamp >>> 32);
        long seq = stamp & 0xFFFFFFFFL;
        if (seq == next) {
            next++;
        } else if (seq > next) {
            for (long s = next; s < seq && gaps.size() < 100_000; s++) {
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
        }
        lastRun = Math.max(lastRun, run);
    }

    private static Map<String, String> pairs(String line) {
        Map<String, String> r = new HashMap<>();
        for (String pair : line.split(" ")) {
            r.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        return r;
    }

    /** @return whether the sender cannot hear the receiver, so reports what was in flight instead */
    static boolean oneWay(String transport) {
        return transport.equals("fifo") || transport.equals("mq") || transport.equals("log");
    }
}
