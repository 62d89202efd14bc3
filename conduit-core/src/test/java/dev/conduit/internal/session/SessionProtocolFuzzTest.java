package dev.conduit.internal.session;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.testing.LongFuzz;
import dev.conduit.testing.MemPair;
import dev.conduit.testing.QuickFuzz;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session protocol against a hostile peer: after a hello (a correct one, or any bytes),
 * the peer sends any frames and goes away. The session must refuse a wrong hello with an
 * {@link IOException} that says so; otherwise hand out exactly the DATA and PUBLISH payloads that came
 * before the first malformed frame, in order, and then end with
 * {@link ConnectionClosedException}; never hang, never throw anything else.
 */
class SessionProtocolFuzzTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Endpoint ENDPOINT = Endpoint.parse("mem:fuzz?protocol=conduit");

    @QuickFuzz
    void takesOnlyWellFormedFrames(FuzzedDataProvider data) throws Exception {
        check(data);
    }

    @LongFuzz
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void takesOnlyWellFormedFramesLong(FuzzedDataProvider data) throws Exception {
        check(data);
    }

    private static void check(FuzzedDataProvider data) throws Exception {
        boolean goodHello = data.consumeBoolean();
        byte[] hello = goodHello ? SessionProtocol.hello() : data.consumeBytes(data.consumeInt(0, 32));
        List<byte[]> frames = new ArrayList<>();
        int count = data.consumeInt(0, 16);
        for (int i = 0; i < count; i++) {
            frames.add(data.consumeBytes(data.consumeInt(0, 48)));
        }
        List<AutoCloseable> open = new ArrayList<>();
        try {
            Connection[] pair = MemPair.open("fuzz", open);
            Connection peer = pair[1];
            peer.send(hello);
            for (byte[] f : frames) {
                peer.send(f);
            }
            if (SessionProtocol.checkHello(hello) != null) {
                IOException e = assertThrows(IOException.class, () -> SessionConnection.open(ENDPOINT, pair[0]));
                assertTrue(e.getMessage().contains("session handshake"), e.getMessage());
                return;
            }
            // Open while the peer is there to take this side's hello; then it goes away.
            try (SessionConnection session = SessionConnection.open(ENDPOINT, pair[0])) {
                peer.close();
                List<byte[]> expected = new ArrayList<>();
                for (byte[] f : frames) {
                    if (!wellFormed(f)) {
                        break;
                    }
                    if (f[0] == SessionProtocol.DATA) {
                        expected.add(Arrays.copyOfRange(f, SessionProtocol.HEADER, f.length));
                    } else if (f[0] == SessionProtocol.PUBLISH) {
                        // This side subscribed to nothing, so it takes every subject.
                        expected.add(Arrays.copyOfRange(f, Subjects.messageOffset(f), f.length));
                    }
                }
                for (int i = 0; i < expected.size(); i++) {
                    byte[] got = session.receive(WAIT);
                    assertNotNull(got, "message " + i + " of " + expected.size() + " in time");
                    assertArrayEquals(expected.get(i), got, "message " + i);
                }
                ConnectionClosedException end = assertThrows(ConnectionClosedException.class,
                        () -> session.receive(WAIT), "the stream ends after the last message");
                assertNotNull(end.getMessage());
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }

    /** @return whether a frame from the listener's side to a client is one the session takes */
    private static boolean wellFormed(byte[] f) {
        if (f.length > 0 && f[0] == SessionProtocol.SUBSCRIBE) {
            try {
                Subjects.prefixes(f);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        boolean numbered = f.length >= SessionProtocol.HEADER && (f[0] >= SessionProtocol.DATA
                && f[0] <= SessionProtocol.PONG || f[0] == SessionProtocol.PUBLISH);
        return numbered && (f[0] != SessionProtocol.PUBLISH || Subjects.checkPublish(f) == null);
    }
}
