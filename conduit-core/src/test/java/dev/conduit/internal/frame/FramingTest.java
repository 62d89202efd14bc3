package dev.conduit.internal.frame;

import dev.conduit.Endpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FramingTest {
    private static final byte[] HI = "hi".getBytes(StandardCharsets.UTF_8);

    private static byte[] encoded(Framing framing, byte[] message, int piece) {
        byte[] out = new byte[(int) framing.encodedLength(message.length)];
        for (int from = 0; from < out.length; from += piece) {
            framing.copyEncoded(message, 0, message.length, from, Math.min(piece, out.length - from), out, from);
        }
        return out;
    }

    @Test
    void encodesEachFramingByteForByteInPiecesOfAnySize() {
        for (int piece = 1; piece <= 8; piece++) {
            assertArrayEquals(new byte[] {0, 0, 0, 2, 'h', 'i'}, encoded(Framing.FRAMES, HI, piece));
            assertArrayEquals(new byte[] {'h', 'i', '\n'}, encoded(Framing.LINES, HI, piece));
            assertArrayEquals(new byte[] {'h', 'i'}, encoded(Framing.RAW, HI, piece));
        }
        assertArrayEquals(new byte[] {'\n'}, encoded(Framing.LINES, new byte[0], 1));
        assertArrayEquals(new byte[0], encoded(Framing.RAW, new byte[0], 1));
        byte[] big = new byte[0x010203];
        byte[] framed = encoded(Framing.FRAMES, big, 1000);
        assertArrayEquals(new byte[] {0, 1, 2, 3}, java.util.Arrays.copyOf(framed, 4));
    }

    @Test
    void writesToStreamsAsItEncodes() throws Exception {
        for (Framing framing : Framing.values()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            framing.writeTo(out, HI, ByteBuffer.allocate(Frames.HEADER_BYTES));
            assertArrayEquals(encoded(framing, HI, 100), out.toByteArray(), framing.text());
        }
    }

    @Test
    void linesRefuseAMessageHoldingANewlineNamingItsOffset() {
        byte[] two = "one\ntwo".getBytes(StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Framing.LINES.checkMessage("unix:/a?framing=lines", "send", two, 0, two.length));
        assertEquals("unix:/a?framing=lines: send: the message holds a newline at byte 3 of 7; with framing=lines"
                + " a newline ends a message, so send each line on its own (or use framing=frames or raw for any"
                + " bytes)", e.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(4);
            segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2, (byte) '\n');
            assertThrows(IllegalArgumentException.class,
                    () -> Framing.LINES.checkMessage("x", "send", segment, 0, 4));
            ByteBuffer direct = ByteBuffer.allocateDirect(8).put(5, (byte) '\n');
            assertThrows(IllegalArgumentException.class,
                    () -> Framing.LINES.checkMessage("x", "send", direct, 4, 2));
            Framing.LINES.checkMessage("x", "send", direct, 0, 5);
        }
        Framing.LINES.checkMessage("x", "send", two, 4, 3);
        Framing.FRAMES.checkMessage("x", "send", two, 0, two.length);
        Framing.RAW.checkMessage("x", "send", two, 0, two.length);
    }

    @Test
    void readsTheOption() {
        assertEquals(Framing.FRAMES, Framing.of(Endpoint.parse("unix:/a")));
        assertEquals(Framing.FRAMES, Framing.of(Endpoint.parse("unix:/a?framing=frames")));
        assertEquals(Framing.LINES, Framing.of(Endpoint.parse("unix:/a?framing=lines")));
        assertEquals(Framing.RAW, Framing.of(Endpoint.parse("tcp://127.0.0.1:1?framing=raw")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Framing.of(Endpoint.parse("unix:/a?framing=line")));
        assertEquals("endpoint 'unix:/a?framing=line': framing=line (expected frames, lines or raw)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Framing.of(Endpoint.parse("unix:/a?framing=raw&maxFrame=0")));
        assertEquals("endpoint 'unix:/a?framing=raw&maxFrame=0': framing=raw needs maxFrame of at least 1 (each"
                + " message is the bytes one read brought, up to maxFrame)", e.getMessage());
    }
}
