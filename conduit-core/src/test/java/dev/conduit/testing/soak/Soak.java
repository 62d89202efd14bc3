package dev.conduit.testing.soak;

import dev.conduit.testing.TempDir;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The soak: two processes exchange sequence-numbered, checksummed messages over one transport
 * while a third, this one, kills the sender, the receiver or both with SIGKILL at random moments
 * and restarts them, until every sequence number up to {@link Settings#messages} has been
 * processed; then it counts what was lost, duplicated, reordered or corrupted. See
 * {@link SoakChaos} for how, {@link SoakSender} for how a killed sender's message in flight is
 * told from a lost one, {@link SoakLedger} for how a killed receiver's restart knows what it had
 * processed, and {@link SoakAudit} for what each transport promises across a receiver kill.
 */
public final class Soak {
    /** Every transport the soak runs: the local ones, and a spawned child's stdin/stdout. */
    public static final List<String> TRANSPORTS = List.of("unix", "pipe", "tcp", "shm", "fifo", "mq", "log", "spawn");

    private Soak() {
    }

    /**
     * What one soak does.
     *
     * @param transport  one of {@link #TRANSPORTS}
     * @param messages   how many sequence numbers the senders go through
     * @param kills      how many times the sender is killed (and restarted)
     * @param receiverKills how many times the receiver is killed (and restarted)
     * @param seed       chooses the kill moments; printed, so a run can be repeated
     * @param fullJit    whether the children compile with C2 (long runs) or stop at C1 (quick starts)
     * @param stallLimit how long neither side may make progress before the soak fails as hung
     */
    public record Settings(String transport, long messages, int kills, int receiverKills, long seed, boolean fullJit,
            Duration stallLimit) {
        public Settings {
            if (!TRANSPORTS.contains(transport)) {
                throw new IllegalArgumentException("transport=" + transport + " (expected one of " + TRANSPORTS + ")");
            }
            if (messages < 1 || messages > Integer.MAX_VALUE || kills < 0 || receiverKills < 0
                    || receiverKills >= SoakLedger.MAX_RUNS) {
                throw new IllegalArgumentException("messages=" + messages + ", kills=" + kills + ", receiverKills="
                        + receiverKills + " (expected 1 <= messages <= 2^31-1, kills >= 0, 0 <= receiverKills < "
                        + SoakLedger.MAX_RUNS + ")");
            }
        }
    }

    /**
     * What one soak counted.
     *
     * @param received        messages the receiver runs processed whole and checked (duplicates included)
     * @param kills           how many times the sender was killed
     * @param receiverKills   how many times the receiver was killed
     * @param inFlight        messages a restarted sender reported in flight at its predecessor's kill
     * @param inFlightArrived of those, the ones that arrived anyway
     * @param lost            messages that never arrived, though no sender reported them in flight,
     *                        or whose send had returned, nor a receiver kill may lose them
     * @param lostAtReceiverKills messages a receiver kill lost as its transport says it may
     *                        ({@link SoakAudit#PROMISES}: {@code mq:} and {@code fifo:} only)
     * @param resent          returned sends a restarted receiver lacked, sent again (two-way)
     * @param errors          connection ends that were not {@code ConnectionClosedException}
     * @param torn            connection ends the receiver was told came in the middle of a message
     * @param leftovers       files, sockets, queues or shared-memory objects still there after the soak
     */
    public record Result(Settings settings, long received, int kills, int receiverKills, int inFlight,
            int inFlightArrived, long lost, long lostAtReceiverKills, long resent, long duplicated, long reordered, long corrupt, long errors, long torn, double seconds, String endings,
            List<String> leftovers) {
        /** @return messages a second, restarts included */
        public double rate() {
            return settings.messages() / seconds;
        }

        /** @return the soak's one summary line */
        public String summary() {
            return String.format(Locale.ROOT, "soak %-5s messages=%d kills=%d receiverKills=%d inflight=%d (arrived %d)"
                            + " lost=%d lostAtReceiverKills=%d resent=%d dup=%d reordered=%d corrupt=%d errors=%d"
                            + " torn=%d seconds=%.1f msgs/s=%.0f seed=%d",
                    settings.transport(), received, kills, receiverKills, inFlight, inFlightArrived, lost,
                    lostAtReceiverKills, resent, duplicated, reordered, corrupt, errors, torn, seconds, rate(),
                    settings.seed());
        }
    }

    /** Runs one soak in a fresh temporary directory, leaving no process, file or kernel object behind. */
    public static Result run(Settings settings) throws Exception {
        try (TempDir dir = new TempDir(); SoakChaos chaos = new SoakChaos(settings, dir)) {
            return chaos.run();
        }
    }
}
