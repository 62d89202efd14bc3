package dev.conduit.internal.session;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SessionProtocol#isHello}: how a raw client tells it reached a session listener. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SessionHelloTest {
    private static ByteBuffer bytes(int first, String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(1 + t.length).put((byte) first).put(t);
        return b.flip();
    }

    @Test
    void recognisesTheHelloOfAnyVersion() {
        assertTrue(SessionProtocol.isHello(ByteBuffer.wrap(SessionProtocol.hello())));
        assertTrue(SessionProtocol.isHello(bytes(0, "conduit-session 27")));
        assertTrue(SessionProtocol.isHello(bytes(0, "conduit-session 123456789")));
    }

    @Test
    void takesNothingElseForAHello() {
        assertFalse(SessionProtocol.isHello(bytes(1, "conduit-session 1")), "not type 00");
        assertFalse(SessionProtocol.isHello(bytes(0, "conduit-session ")), "no version");
        assertFalse(SessionProtocol.isHello(bytes(0, "conduit-session 1x")), "not a number");
        assertFalse(SessionProtocol.isHello(bytes(0, "conduit-session 1234567890")), "ten digits");
        assertFalse(SessionProtocol.isHello(bytes(0, "conduit-sessiom 1")), "another prefix");
        assertFalse(SessionProtocol.isHello(ByteBuffer.allocate(0)), "empty");
        assertFalse(SessionProtocol.isHello(bytes('c', "onduit-session 1")), "the text without its type byte");
    }

    @Test
    void readsFromThePositionAndLeavesIt() {
        ByteBuffer b = ByteBuffer.allocate(30).position(5).put(SessionProtocol.hello()).flip().position(5);
        assertTrue(SessionProtocol.isHello(b));
        assertEquals(5, b.position());
    }
}
