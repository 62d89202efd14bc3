package dev.conduit.testing.soak;

import dev.conduit.testing.TempDir;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The soak: two processes exchange sequence-numbered, checksummed messages over one transport
 * while a third, this one, kills the sender with SIGKILL at random moments and restarts it,
 * until every sequence number up to {@link Settings#messages} has been sent; then it counts what
 * was lost, duplicated, reordered or corrupted. See {@link SoakChaos} for how, and
 * {@link SoakSender} for how a killed sender's message in flight is told from a lost one.
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
     * @param seed       chooses the kill moments; printed, so a run can be repeated
     * @param fullJit    whether the children compile with C2 (long runs) or stop at C1 (quick starts)
     * @param stallLimit how long neither side may make progress before the soak fails as hung
     */
    public record Settings(String transport, long messages, int kills, long seed, boolean fullJit,
            Duration stallLimit) {
        public Settings {
            if (!TRANSPORTS.contains(transport)) {
                throw new IllegalArgumentException("transport=" + transport + " (expected one of " + TRANSPORTS + ")");
            }
            if (messages < 1 || messages > Integer.MAX_VALUE || kills < 0) {
                throw new IllegalArgumentException("messages=" + messages + ", kills=" + kills
                        + " (expected 1 <= messages <= 2^31-1, kills >= 0)");
            }
        }
    }

    /**
     * What one soak counted.
     *
     * @param received        messages the receiver took whole and checked (duplicates included)
     * @param inFlight        messages a restarted sender reported in flight at its predecessor's kill
     * @param inFlightArrived of those, the ones that arrived anyway
     * @param lost            messages that never arrived, though no sender reported them in flight,
     *                        or whose send had returned
     * @param errors          connection ends that were not {@code ConnectionClosedException}
     * @param torn            connection ends the receiver was told came in the middle of a message
     * @param leftovers       files, sockets, queues or shared-memory objects still there after the soak
     */
    public record Result(Settings settings, long received, int kills, int inFlight, int inFlightArrived, long lost,
            long duplicated, long reordered, long corrupt, long errors, long torn, double seconds, String endings,
            List<String> leftovers) {
        /** @return messages a second, restarts included */
        public double rate() {
            return settings.messages() / seconds;
        }

        /** @return the soak's one summary line */
        public String summary() {
            return String.format(Locale.ROOT, "soak %-5s messages=%d kills=%d inflight=%d (arrived %d) lost=%d dup=%d"
                            + " reordered=%d corrupt=%d errors=%d torn=%d seconds=%.1f msgs/s=%.0f seed=%d",
                    settings.transport(), received, kills, inFlight, inFlightArrived, lost, duplicated, reordered,
                    corrupt, errors, torn, seconds, rate(), settings.seed());
        }
    }

    /** Runs one soak in a fresh temporary directory, leaving no process, file or kernel object behind. */
    public static Result run(Settings settings) throws Exception {
        try (TempDir dir = new TempDir(); SoakChaos chaos = new SoakChaos(settings, dir)) {
            return chaos.run();
        }
    }
}
