package dev.conduit.cli;

import dev.conduit.cli.PingPong.RoundTrips;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

@Timeout(60)
final class PingPongTest {
    @Test
    void payloadStartsWithItsSequenceNumberAndIsDeterministic() {
        byte[] a = new byte[21];
        byte[] b = new byte[21];
        PingPong.fill(a, 0x0102030405060708L);
        PingPong.fill(b, 0x0102030405060708L);
        assertArrayEquals(a, b);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, Arrays.copyOf(a, 8));
    }

    @Test
    void neighbouringPayloadsDifferBeyondTheSequenceNumber() {
        byte[] a = new byte[64];
        byte[] b = new byte[64];
        PingPong.fill(a, 41);
        PingPong.fill(b, 42);
        assertFalse(Arrays.equals(a, 8, 64, b, 8, 64));
    }

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
        assertEquals(50, RoundTrips.percentile(sorted, 0.50));
        assertEquals(100, RoundTrips.percentile(sorted, 0.99));
        assertEquals(10, RoundTrips.percentile(sorted, 0.01));
        assertEquals(7, RoundTrips.percentile(new long[] {7}, 0.99));
    }

    @Test
    void describesWhereAnEchoDiffers() {
        assertEquals("payload 3 came back different at byte 1: 0x09 (expected 0x02)",
                PingPong.describeMismatch(3, new byte[] {1, 2, 3}, new byte[] {1, 9, 3}));
        assertEquals("payload 3 came back different at length 2 (expected 3)",
                PingPong.describeMismatch(3, new byte[] {1, 2, 3}, new byte[] {1, 2}));
    }

    @Test
    void roundTripsCountBytesBothWays() {
        RoundTrips trips = new RoundTrips("x", new long[] {1, 2, 3}, 3_000_000_000L, 64);
        assertEquals(3 * 64 * 2, trips.bytes());
        assertEquals(1.0, trips.perSecond(), 1e-9);
    }
}
