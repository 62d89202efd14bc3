package dev.conduit.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(60)
final class DurationsTest {
    @Test
    void readsEachUnit() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
        assertEquals(Duration.ofMinutes(1), Durations.parse("1M"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
        // The grammar of endpoint options: what ?spin=50us takes, --timeout takes too.
        assertEquals(Duration.ofNanos(50_000), Durations.parse("50us"));
        assertEquals(Duration.ofNanos(50_000), Durations.parse("50µs"));
    }

    @Test
    void rejectsAMissingUnitOrFractionNamingTheText() {
        for (String bad : new String[] {"5", "1.5s", "-1s", "5 sec", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad));
            assertEquals("invalid duration '" + bad + "' (expected a whole number and a unit ns, us, ms, s, m or h,"
                    + " e.g. 50us, 500ms, 5s or 1m)", e.getMessage());
        }
    }

    @Test
    void formatsInTheLargestExactUnit() {
        assertEquals("300ms", Durations.format(Duration.ofMillis(300)));
        assertEquals("5s", Durations.format(Duration.ofSeconds(5)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }
}
