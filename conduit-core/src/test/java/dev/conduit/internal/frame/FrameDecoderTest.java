package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrameDecoderTest {
    private static final int BUFFER = 256;

    static byte[] encode(List<byte[]> messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(m.length).array());
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    static List<byte[]> messages(Random random, int count, int maxSize) {
        List<byte[]> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] m = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(maxSize + 1)];
            random.nextBytes(m);
            list.add(m);
        }
        return list;
    }

    /** Feeds {@code input} in pieces whose sizes {@code splits} picks, collecting the frames. */
    static List<byte[]> decode(StreamDecoder decoder, byte[] input, java.util.function.IntSupplier splits)
            throws FrameTooLongException {
        List<byte[]> out = new ArrayList<>();
        int offset = 0;
        while (true) {
            while (decoder.next()) {
                out.add(decoder.frameArray());
            }
            if (offset == input.length) {
                return out;
            }
            int piece = Math.min(Math.max(1, splits.getAsInt()), input.length - offset);
            offset += decoder.feed(input, offset, piece);
        }
    }

    static void assertSame(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "frame count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
        }
    }

    @Test
    void decodesOneByteAtATime() throws Exception {
        List<byte[]> messages = messages(new Random(1), 300, 700);
        FrameDecoder decoder = new FrameDecoder("test", 1 << 20, BUFFER);
        assertSame(messages, decode(decoder, encode(messages), () -> 1));
        assertFalse(decoder.midFrame());
    }

    @ParameterizedTest
    @ValueSource(longs = {2, 3, 5, 8, 13, 21})
    void decodesRandomSplits(long seed) throws Exception {
        Random random = new Random(seed);
        List<byte[]> messages = messages(random, 500, 1000);
        FrameDecoder decoder = new FrameDecoder("test", 1 << 20, BUFFER);
        assertSame(messages, decode(decoder, encode(messages), () -> random.nextInt(600)));
    }

    @Test
    void decodesManyFramesPerRead() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            messages.add(new byte[] {(byte) i});
        }
        FrameDecoder decoder = new FrameDecoder("test", 100, BUFFER);
        byte[] input = encode(messages);
        assertEquals(200, input.length);
        assertEquals(200, decoder.feed(input, 0, input.length));
        int n = 0;
        while (decoder.next()) {
            ByteBuffer frame = decoder.frame();
            assertTrue(frame.isReadOnly());
            assertEquals(1, frame.remaining());
            assertEquals(n++, frame.get(frame.position()));
        }
        assertEquals(40, n);
    }

    @Test
    void emptyFramesAreLegal() throws Exception {
        FrameDecoder decoder = new FrameDecoder("test", 0, BUFFER);
        decoder.feed(new byte[8], 0, 8);
        assertTrue(decoder.next());
        assertEquals(0, decoder.frame().remaining());
        assertTrue(decoder.next());
        assertFalse(decoder.next());
    }

    @Test
    void framesLargerThanTheBufferAreCollectedWhole() throws Exception {
        Random random = new Random(4);
        List<byte[]> messages = List.of(new byte[1000], new byte[BUFFER - 4], new byte[BUFFER - 3], new byte[7],
                new byte[50_000]);
        messages.forEach(random::nextBytes);
        FrameDecoder decoder = new FrameDecoder("test", 1 << 20, BUFFER);
        assertSame(messages, decode(decoder, encode(messages), () -> random.nextInt(300)));
        assertSame(messages, decode(new FrameDecoder("test", 1 << 20, BUFFER), encode(messages), () -> 1));
    }

    @Test
    void acceptsExactlyTheMaximum() throws Exception {
        byte[] max = new byte[1000];
        FrameDecoder decoder = new FrameDecoder("test", 1000, BUFFER);
        assertSame(List.of(max), decode(decoder, encode(List.of(max)), () -> 97));
    }

    @Test
    void rejectsADeclaredLengthAboveTheMaximumBeforeItsPayload() {
        FrameDecoder decoder = new FrameDecoder("unix:/x", 1000, BUFFER);
        decoder.feed(new byte[] {0, 0, 3, (byte) 0xE9}, 0, 4);
        FrameTooLongException e = assertThrows(FrameTooLongException.class, decoder::next);
        assertEquals("unix:/x: receive: frame length 1001 exceeds maxFrame 1000", e.getMessage());
        assertEquals(1001, e.length());
        assertEquals(1000, e.maximum());
    }

    @Test
    void readsTheLengthAsUnsigned() {
        FrameDecoder decoder = new FrameDecoder("t", Integer.MAX_VALUE, BUFFER);
        decoder.feed(new byte[] {(byte) 0x80, 0, 0, 0}, 0, 4);
        FrameTooLongException e = assertThrows(FrameTooLongException.class, decoder::next);
        assertEquals(2147483648L, e.length());
        assertEquals(Integer.MAX_VALUE, e.maximum());
    }

    @Test
    void aHugeDeclaredLengthAllocatesNothingOfThatSize() {
        long before = usedHeap();
        for (int i = 0; i < 1000; i++) {
            FrameDecoder decoder = new FrameDecoder("t", 16 << 20, BUFFER);
            decoder.feed(new byte[] {(byte) 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, 0, 4);
            assertThrows(FrameTooLongException.class, decoder::next);
        }
        assertTrue(usedHeap() - before < 256L << 20, "decoders allocated the declared lengths");
    }

    @Test
    void aHugeHeaderAndAFewBytesHoldOnlyTheBufferItHasAnyway() throws Exception {
        FrameDecoder decoder = new FrameDecoder("t", 16 << 20, BUFFER);
        decoder.feed(new byte[] {1, 0, 0, 0, 'a', 'b', 'c'}, 0, 7);
        assertFalse(decoder.next());
        assertEquals(0, decoder.heldArrayBytes());
        assertEquals(7, decoder.heldBytes());
        assertTrue(decoder.midFrame());
    }

    @Test
    void aLongFrameHoldsAtMostTwiceTheBytesThatCame() throws Exception {
        int length = 16 << 20;
        FrameDecoder decoder = new FrameDecoder("t", length, BUFFER);
        byte[] header = ByteBuffer.allocate(4).putInt(length).array();
        decoder.feed(header, 0, 4);
        byte[] piece = new byte[100];
        long received = 0;
        while (received < 1_000_000) {
            assertFalse(decoder.next());
            received += decoder.feed(piece, 0, piece.length);
            assertTrue(decoder.heldArrayBytes() <= 2 * received, decoder.heldArrayBytes() + " held for " + received);
        }
        assertFalse(decoder.next());
        assertTrue(decoder.heldArrayBytes() > 0);
    }

    @Test
    void manyHugeHeadersWithAFewBytesAllocateAboutThoseBytes() throws Exception {
        System.gc();
        long before = usedHeap();
        List<FrameDecoder> held = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            FrameDecoder decoder = new FrameDecoder("t", 16 << 20, StreamDecoder.DEFAULT_BUFFER_BYTES);
            decoder.feed(new byte[] {1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, 0, 12);
            assertFalse(decoder.next());
            held.add(decoder);
        }
        // 300 frames of 16 MiB declared: 4.8 GiB if allocated on their headers.
        assertTrue(usedHeap() - before < 64L << 20, "decoders allocated the declared lengths: "
                + ((usedHeap() - before) >> 20) + " MiB");
        assertEquals(300, held.stream().filter(StreamDecoder::midFrame).count());
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void reportsAPartialFrameAtEndOfInput() throws Exception {
        FrameDecoder decoder = new FrameDecoder("t", 100, BUFFER);
        decoder.feed(new byte[] {0, 0, 0, 5, 'a', 'b'}, 0, 6);
        assertFalse(decoder.next());
        assertTrue(decoder.midFrame());
        assertEquals(6, decoder.heldBytes());
    }

    @Test
    void readsFromStreamsThatReturnOneByteAtATime() throws Exception {
        List<byte[]> messages = messages(new Random(9), 100, 400);
        InputStream trickle = new ByteArrayInputStream(encode(messages)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        FrameDecoder decoder = new FrameDecoder("t", 1 << 20, BUFFER);
        List<byte[]> out = new ArrayList<>();
        while (true) {
            while (decoder.next()) {
                out.add(decoder.frameArray());
            }
            if (decoder.readFrom(trickle) < 0) {
                break;
            }
        }
        assertSame(messages, out);
    }

    @Test
    void rejectsBadConstruction() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FrameDecoder("t", -1, 64));
        assertEquals("maxFrame: -1 (expected >= 0)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FrameDecoder("t", 1, 8));
        assertEquals("bufferBytes: 8 (expected >= 64)", e.getMessage());
    }

    @Test
    void frameArrayWithoutAFrameIsAnError() throws IOException {
        FrameDecoder decoder = new FrameDecoder("t", 1, 64);
        assertThrows(IllegalStateException.class, decoder::frameArray);
    }
}
