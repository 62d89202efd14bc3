package dev.conduit.internal.session;

import dev.conduit.internal.session.Resumptions.Resumed;
import dev.conduit.internal.session.Resumptions.Resumed.Arrival;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a listener remembers of resumed sessions, to deliver each acknowledged message once. */
@Timeout(10)
class ResumptionsTest {
    @Test
    void aCopyOfATakenMessageIsDroppedAndTheNewestCopyOfAnUntakenOneIsDelivered() {
        Resumptions sessions = new Resumptions();
        Resumptions.Resumed.Joined first = sessions.join(42);
        Resumptions.Resumed.Joined second = sessions.join(42);
        assertSame(first.session(), second.session());
        assertEquals(1, first.generation());
        assertEquals(2, second.generation());
        Resumed s = first.session();

        assertEquals(Arrival.DELIVER, s.arrive(1, 1));
        assertTrue(s.take(1, 1));
        assertEquals(Arrival.TAKEN_BEFORE, s.arrive(1, 2), "a copy of a taken message");

        assertEquals(Arrival.DELIVER, s.arrive(2, 1));
        assertEquals(Arrival.DELIVER, s.arrive(2, 2));
        assertFalse(s.take(2, 1), "the older connection's copy is skipped");
        assertTrue(s.take(2, 2));
        assertFalse(s.take(2, 2), "taken once");

        assertEquals(Arrival.DELIVER, s.arrive(3, 2));
        assertEquals(Arrival.DELIVER, s.arrive(3, 1), "a late copy on an older connection");
        assertFalse(s.take(3, 1), "does not take the message from the newer one");
        assertTrue(s.take(3, 2));
    }

    @Test
    void numbersThatNeverCameDoNotHoldMemoryForEver() {
        Resumed s = new Resumptions().join(7).session();
        // Message 1 never comes (its send gave up); thousands after it are taken.
        for (long seq = 2; seq < 10_000; seq++) {
            assertEquals(Arrival.DELIVER, s.arrive(seq, 1));
            assertTrue(s.take(seq, 1));
        }
        assertEquals(Arrival.TAKEN_BEFORE, s.arrive(2, 1));
        assertEquals(Arrival.TAKEN_BEFORE, s.arrive(1, 1), "past the window, a very late number counts as taken");
    }

    @Test
    void sessionsAreTheirIdsAlone() {
        Resumptions sessions = new Resumptions();
        assertNotSame(sessions.join(1).session(), sessions.join(2).session());
        assertEquals(2, sessions.size());
    }
}
