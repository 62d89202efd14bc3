package dev.conduit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
final class UnitsTest {
    @Test
    void readsEveryDurationUnitInAnyCase() {
        assertEquals(Duration.ofNanos(7), Units.parseDuration("7ns"));
        assertEquals(Duration.ofNanos(50_000), Units.parseDuration("50us"));
        assertEquals(Duration.ofNanos(50_000), Units.parseDuration("50µs"));
        assertEquals(Duration.ofMillis(500), Units.parseDuration(" 500MS "));
        assertEquals(Duration.ofSeconds(5), Units.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), Units.parseDuration("2m"));
        assertEquals(Duration.ofHours(1), Units.parseDuration("1H"));
    }

    @Test
    void refusesADurationWithoutAUnitOrWithAFraction() {
        for (String bad : new String[] {"5", "1.5s", "-1s", "5 sec", "", "1d", "9999999999999s"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseDuration(bad));
            assertTrue(e.getMessage().startsWith("invalid duration '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void formatsWhatItReadsBackInTheLargestExactUnit() {
        for (String text : new String[] {"0s", "7ns", "20us", "1500ms", "5s", "90s", "2m", "1h"}) {
            assertEquals(text, Units.format(Units.parseDuration(text)));
        }
        assertThrows(IllegalArgumentException.class, () -> Units.format(Duration.ofSeconds(-1)));
    }

    @Test
    void readsSizesInPowersOf1024WithAnySuffixSpelling() {
        assertEquals(65_536, Units.parseSize("65536"));
        assertEquals(65_536, Units.parseSize("64k"));
        assertEquals(65_536, Units.parseSize("64KiB"));
        assertEquals(65_536, Units.parseSize("64kb"));
        assertEquals(16L << 20, Units.parseSize("16M"));
        assertEquals(2L << 30, Units.parseSize("2g"));
        assertEquals(0, Units.parseSize("0"));
    }

    @Test
    void refusesMalformedOrOverflowingSizes() {
        for (String bad : new String[] {"", "k", "1.5k", "-1", "64 kb", "1t", "99999999999999999999", "9999999999999g"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize(bad));
            assertTrue(e.getMessage().startsWith("invalid size '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void endpointOptionsAndCommandFlagsShareTheGrammar() {
        // ?idleTimeout= takes minutes now, as --timeout does; a bare number keeps its option's unit.
        assertEquals(Duration.ofMinutes(5).toNanos(), dev.conduit.internal.Options.durationNanos(
                Endpoint.parse("tcp://127.0.0.1:1?idleTimeout=5m"), "idleTimeout", 0, 1_000_000, Long.MAX_VALUE));
        assertEquals(250_000_000L, dev.conduit.internal.Options.durationNanos(
                Endpoint.parse("tcp://127.0.0.1:1?idleTimeout=250"), "idleTimeout", 0, 1_000_000, Long.MAX_VALUE));
        assertEquals(65_536, dev.conduit.internal.Options.maxFrame(Endpoint.parse("tcp://127.0.0.1:1?maxFrame=64KiB")));
    }
}
