package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Pipe;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encoder the socket transports write with, and the decoder's drained-source hint. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FramesTest {
    private static final byte[] EXPECTED = {9, 9, 0, 0, 0, 3, 'a', 'b', 'c', 9};

    private static MemorySegment target() {
        MemorySegment out = Arena.ofAuto().allocate(EXPECTED.length);
        out.fill((byte) 9);
        return out;
    }

    @Test
    void encodesBigEndianLengthThenPayloadAtTheOffset() {
        MemorySegment out = target();
        assertEquals(7, Frames.encode(out, 2, "xxabcx".getBytes(), 2, 3));
        assertArrayEquals(EXPECTED, out.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void encodesABuffersRemainingBytesWithoutMovingEither() {
        ByteBuffer payload = ByteBuffer.allocateDirect(5).put(0, "xabcx".getBytes()).position(1).limit(4);
        ByteBuffer out = ByteBuffer.allocateDirect(EXPECTED.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(0, new byte[] {9, 9}).put(9, (byte) 9);
        assertEquals(7, Frames.encode(out, 2, payload));
        byte[] written = new byte[EXPECTED.length];
        out.get(0, written);
        assertArrayEquals(EXPECTED, written, "the header is big-endian whatever the buffer's order");
        assertEquals(1, payload.position());
        assertEquals(0, out.position());
    }

    @Test
    void encodesASegment() {
        MemorySegment out = target();
        assertEquals(7, Frames.encode(out, 2, MemorySegment.ofArray("abc".getBytes())));
        assertArrayEquals(EXPECTED, out.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void refusesAFrameThatDoesNotFitOrAMessageOutsideItsArray() {
        MemorySegment out = Arena.ofAuto().allocate(6);
        assertThrows(IndexOutOfBoundsException.class, () -> Frames.encode(out, 0, new byte[3], 0, 3));
        assertThrows(IndexOutOfBoundsException.class,
                () -> Frames.encode(Arena.ofAuto().allocate(64), 0, new byte[3], 1, 3));
    }

    @Test
    void sendLengthCheckNamesTheCall() {
        FrameTooLongException e = assertThrows(FrameTooLongException.class,
                () -> Frames.checkSendLength("unix:/tmp/a", "write", 11, 10));
        assertEquals("unix:/tmp/a: write: frame length 11 exceeds maxFrame 10", e.getMessage());
        assertEquals(11, e.length());
    }

    @Test
    void aReadThatGotLessThanItsRoomDrainedTheSource() throws Exception {
        Pipe pipe = Pipe.open();
        try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            source.configureBlocking(false);
            FrameDecoder decoder = new FrameDecoder("test", 1 << 20, 64);
            assertEquals(0, decoder.readFrom(source));
            assertTrue(decoder.sourceDrained(), "a read of nothing");
            byte[] frame = {0, 0, 0, 2, 'h', 'i'};
            sink.write(ByteBuffer.wrap(frame));
            assertEquals(6, decoder.readFrom(source));
            assertTrue(decoder.sourceDrained(), "6 bytes read with room for 64");
            assertTrue(decoder.next());
            byte[] big = new byte[100];
            big[3] = 96;
            sink.write(ByteBuffer.wrap(big));
            assertEquals(64, decoder.readFrom(source));
            assertFalse(decoder.sourceDrained(), "the read filled the buffer");
            assertFalse(decoder.next());
            assertEquals(36, decoder.readFrom(source));
            assertTrue(decoder.sourceDrained());
            assertTrue(decoder.next());
            assertEquals(96, decoder.frame().remaining());
            assertTrue(Arrays.equals(new byte[96], decoder.frameArray()));
        }
    }
}
