package dev.conduit;

import dev.conduit.testing.soak.Soak;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two processes exchange sequence-numbered, checksummed messages over each transport while this
 * one kills the sender and the receiver with SIGKILL at random moments and restarts them: nothing
 * may be lost, duplicated, reordered or corrupted, a message in flight at a sender kill must be
 * reported so by the restarted sender, and a receiver kill may lose only what its transport says
 * it may ({@code mq:}, {@code fifo:}; see {@code SoakAudit}). The quick soak runs by default; the
 * full one (10 million messages a transport) with {@code -Psoak}. {@code -Dsoak.seed=N} repeats
 * a run's kill moments.
 */
class SoakTest {
    /** Every transport, or those named by {@code -Dsoak.transports=fifo,log}. */
    static final List<String> TRANSPORTS = System.getProperty("soak.transports") == null ? Soak.TRANSPORTS
            : List.of(System.getProperty("soak.transports").split(","));

    @ParameterizedTest
    @FieldSource("TRANSPORTS")
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void quickSoakLosesNothingAcrossKills(String transport) throws Exception {
        soak(new Soak.Settings(transport, 200_000, 3, 2, seed(), false, Duration.ofSeconds(30)));
    }

    @ParameterizedTest
    @FieldSource("TRANSPORTS")
    @Tag("soak")
    @Timeout(value = 60, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tenMillionMessagesLoseNothingAcrossKills(String transport) throws Exception {
        soak(new Soak.Settings(transport, 10_000_000, 50, 25, seed(), true, Duration.ofSeconds(60)));
    }

    private static void soak(Soak.Settings settings) throws Exception {
        Soak.Result r = Soak.run(settings);
        System.out.println(r.summary());
        System.out.println("soak " + settings.transport() + " receiver saw: " + r.endings());
        String context = r.summary() + "; receiver saw: " + r.endings();
        assertEquals(0, r.lost(), "lost: " + context);
        assertEquals(0, r.duplicated(), "duplicated: " + context);
        assertEquals(0, r.reordered(), "reordered: " + context);
        assertEquals(0, r.corrupt(), "corrupt: " + context);
        assertEquals(0, r.errors(), "ends that were not ConnectionClosedException: " + context);
        assertTrue(r.kills() >= settings.kills(), "kills=" + r.kills() + " (expected >= " + settings.kills() + "): "
                + context);
        assertEquals(settings.receiverKills(), r.receiverKills(), "receiver kills: " + context);
        assertEquals(List.of(), r.leftovers(), "left behind: " + context);
    }

    private static long seed() {
        return Long.getLong("soak.seed", System.nanoTime());
    }
}
