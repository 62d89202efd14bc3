package dev.conduit.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(10)
class RowTest {
    @Test
    void aRowCarriesItsOwnEndpointOptionsAndIsNamedByThem() {
        Row row = Row.parse("unix?protocol=conduit&ack=true");
        assertEquals(new Row("unix", "protocol=conduit&ack=true"), row);
        assertEquals("unix?protocol=conduit&ack=true", row.name(false));
        assertEquals("unix?protocol=conduit&ack=true [virtual]", row.name(true));
        assertEquals("spin=0&protocol=conduit&ack=true", row.options("spin=0"));
        assertEquals("protocol=conduit&ack=true", row.options(""));
    }

    @Test
    void aBareTransportKeepsItsName() {
        Row row = Row.parse("shm");
        assertEquals(new Row("shm", ""), row);
        assertEquals("shm", row.name(false));
        assertEquals("shm [virtual]", row.name(true));
        assertEquals("spin=0", row.options("spin=0"));
        assertEquals("", row.options(""));
    }

    @Test
    void peersRunOnTheirOwnThreadsAndTakeNoOptions() {
        assertEquals("zmq", Row.parse("zmq").name(true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Row.parse("aeron?spin=0"));
        assertEquals("--transport aeron?spin=0: aeron is a peer and takes no endpoint options", e.getMessage());
    }

    @Test
    void malformedRowsAreRejectedQuotingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Row.parse("unx?a=b"));
        assertEquals("--transport unx?a=b: unknown transport unx (expected one of "
                + String.join(", ", BenchPeer.CONDUIT) + " or peers " + String.join(", ", BenchPeer.PEERS) + ")",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Row.parse("unix?protocol=conduit&ack"));
        assertEquals("--transport unix?protocol=conduit&ack: option 'ack' is not name=value", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Row.parse("unix?"));
        assertEquals("--transport unix?: option '' is not name=value", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Row.parse("unix?a=1&&b=2"));
        assertEquals("--transport unix?a=1&&b=2: option '' is not name=value", e.getMessage());
    }
}
