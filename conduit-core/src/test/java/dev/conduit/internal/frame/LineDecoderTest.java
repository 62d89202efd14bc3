package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.conduit.internal.frame.FrameDecoderTest.assertSame;
import static dev.conduit.internal.frame.FrameDecoderTest.decode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LineDecoderTest {
    private static final int BUFFER = 256;

    /** Lines of random bytes other than {@code \n} and {@code \r}, some empty, some longer than the buffer. */
    static List<byte[]> lines(Random random, int count, int maxSize) {
        List<byte[]> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] m = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(maxSize + 1)];
            random.nextBytes(m);
            for (int j = 0; j < m.length; j++) {
                if (m[j] == '\n' || m[j] == '\r') {
                    m[j] = 'x';
                }
            }
            list.add(m);
        }
        return list;
    }

    /** Each line then {@code \n}, or {@code \r\n} where {@code crlf} says. */
    static byte[] encode(List<byte[]> lines, Random crlf) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] line : lines) {
            out.writeBytes(line);
            if (crlf != null && crlf.nextBoolean()) {
                out.write('\r');
            }
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer view) {
        byte[] a = new byte[view.remaining()];
        view.get(view.position(), a);
        return new String(a, StandardCharsets.UTF_8);
    }

    @Test
    void decodesOneByteAtATime() throws Exception {
        List<byte[]> lines = lines(new Random(1), 300, 700);
        LineDecoder decoder = new LineDecoder("test", 1 << 20, BUFFER);
        assertSame(lines, decode(decoder, encode(lines, null), () -> 1));
        assertFalse(decoder.midFrame());
    }

    @ParameterizedTest
    @ValueSource(longs = {2, 3, 5, 8, 13, 21})
    void decodesRandomSplitsWithCrLf(long seed) throws Exception {
        Random random = new Random(seed);
        List<byte[]> lines = lines(random, 500, 1000);
        LineDecoder decoder = new LineDecoder("test", 1 << 20, BUFFER);
        assertSame(lines, decode(decoder, encode(lines, new Random(seed)), () -> random.nextInt(600)));
    }

    @Test
    void dropsOnlyOneCarriageReturnJustBeforeTheNewline() throws Exception {
        LineDecoder decoder = new LineDecoder("test", 100, BUFFER);
        byte[] input = bytes("a\r\n\r\n\r\r\nb\rc\n\n");
        decoder.feed(input, 0, input.length);
        List<String> out = new ArrayList<>();
        while (decoder.next()) {
            out.add(text(decoder.frame()));
        }
        assertEquals(List.of("a", "", "\r", "b\rc", ""), out);
    }

    @Test
    void handsOutViewsIntoTheBufferAndUtf8Intact() throws Exception {
        LineDecoder decoder = new LineDecoder("test", 100, BUFFER);
        byte[] input = bytes("héllo\n{\"a\":1}\n");
        decoder.feed(input, 0, input.length);
        assertTrue(decoder.next());
        assertTrue(decoder.frame().isReadOnly());
        assertTrue(decoder.frame().isDirect());
        assertEquals("héllo", text(decoder.frame()));
        assertTrue(decoder.next());
        assertEquals("{\"a\":1}", text(decoder.frame()));
        assertFalse(decoder.next());
    }

    @Test
    void aLastLineWithoutNewlineComesAtTheEndOfInput() throws Exception {
        LineDecoder decoder = new LineDecoder("test", 100, BUFFER);
        byte[] input = bytes("one\ntwo\r");
        decoder.feed(input, 0, input.length);
        assertTrue(decoder.next());
        assertEquals("one", text(decoder.frame()));
        assertFalse(decoder.next());
        assertTrue(decoder.midFrame());
        assertEquals(4, decoder.heldBytes());
        assertFalse(decoder.endOfInput(), "a last line is not an error");
        assertTrue(decoder.next());
        assertEquals("two", text(decoder.frame()));
        assertFalse(decoder.next());
        assertFalse(decoder.midFrame());
    }

    @Test
    void nothingHeldAtTheEndOfInputMeansNoLastLine() throws Exception {
        LineDecoder decoder = new LineDecoder("test", 100, BUFFER);
        decoder.feed(bytes("a\n"), 0, 2);
        assertTrue(decoder.next());
        assertFalse(decoder.endOfInput());
        assertFalse(decoder.next());
    }

    @Test
    void linesLongerThanTheBufferAreCollectedWhole() throws Exception {
        Random random = new Random(4);
        List<byte[]> lines = new ArrayList<>();
        for (int size : new int[] {1000, BUFFER - 1, BUFFER, BUFFER + 1, 7, 50_000, 2 * BUFFER}) {
            lines.addAll(lines(random, 0, 0));
            byte[] line = new byte[size];
            java.util.Arrays.fill(line, (byte) ('a' + size % 26));
            lines.add(line);
        }
        assertSame(lines, decode(new LineDecoder("test", 1 << 20, BUFFER), encode(lines, new Random(7)),
                () -> random.nextInt(300)));
        assertSame(lines, decode(new LineDecoder("test", 1 << 20, BUFFER), encode(lines, new Random(8)), () -> 1));
    }

    @Test
    void aLongLastLineComesWholeAtTheEndOfInput() throws Exception {
        byte[] line = new byte[3 * BUFFER + 5];
        java.util.Arrays.fill(line, (byte) 'z');
        LineDecoder decoder = new LineDecoder("test", 1 << 20, BUFFER);
        List<byte[]> out = decode(decoder, line, () -> 100);
        assertEquals(0, out.size());
        assertEquals(line.length, decoder.heldBytes());
        decoder.endOfInput();
        assertTrue(decoder.next());
        assertSame(List.of(line), List.of(decoder.frameArray()));
    }

    @Test
    void acceptsExactlyTheMaximumWithOrWithoutCarriageReturn() throws Exception {
        for (int max : new int[] {100, 1000}) {
            byte[] line = new byte[max];
            java.util.Arrays.fill(line, (byte) 'm');
            assertSame(List.of(line, line), decode(new LineDecoder("test", max, BUFFER),
                    encode(List.of(line, line), new Random(1)), () -> 97));
            byte[] crlf = encode(List.of(line), null);
            crlf = java.util.Arrays.copyOf(crlf, crlf.length + 1);
            crlf[crlf.length - 2] = '\r';
            crlf[crlf.length - 1] = '\n';
            // \r\n after exactly maxFrame bytes: the \r is not counted.
            assertSame(List.of(line), decode(new LineDecoder("test", max, BUFFER), crlf, () -> 1));
        }
    }

    @Test
    void rejectsALineLongerThanTheMaximumBeforeItsNewline() {
        LineDecoder decoder = new LineDecoder("unix:/x?framing=lines", 1000, BUFFER);
        byte[] chunk = new byte[100];
        java.util.Arrays.fill(chunk, (byte) 'a');
        FrameTooLongException e = assertThrows(FrameTooLongException.class, () -> {
            while (true) {
                decoder.feed(chunk, 0, chunk.length);
                decoder.next();
            }
        });
        // Refused once the bytes held (what the last feed fitted in the buffer) pass the maximum.
        assertTrue(e.length() > 1000 && e.length() <= 1000 + BUFFER, "length " + e.length());
        assertEquals("unix:/x?framing=lines: receive (framing=lines, a line of at least " + e.length() + " bytes):"
                + " frame length " + e.length() + " exceeds maxFrame 1000", e.getMessage());
        assertEquals(1000, e.maximum());
    }

    @Test
    void rejectsALineOfMaximumPlusOneInTheBuffer() {
        LineDecoder decoder = new LineDecoder("t", 10, BUFFER);
        decoder.feed(bytes("0123456789A\n"), 0, 12);
        FrameTooLongException e = assertThrows(FrameTooLongException.class, decoder::next);
        assertEquals(11, e.length());
    }

    @Test
    void aLineThatNeverEndsAllocatesNothingOfTheMaximumsSize() throws Exception {
        long before = usedHeap();
        byte[] chunk = new byte[BUFFER];
        java.util.Arrays.fill(chunk, (byte) 'a');
        for (int i = 0; i < 1000; i++) {
            LineDecoder decoder = new LineDecoder("t", 16 << 20, BUFFER);
            for (int j = 0; j < 4; j++) {
                decoder.feed(chunk, 0, chunk.length);
                assertFalse(decoder.next());
            }
            assertEquals(4 * BUFFER, decoder.heldBytes());
        }
        assertTrue(usedHeap() - before < 256L << 20, "decoders allocated maxFrame-sized arrays");
        LineDecoder small = new LineDecoder("t", 5000, BUFFER);
        assertThrows(FrameTooLongException.class, () -> {
            for (int i = 0; i < 1_000_000; i++) {
                small.feed(chunk, 0, chunk.length);
                small.next();
            }
        });
        assertTrue(small.heldBytes() <= 5000 + BUFFER, "held " + small.heldBytes());
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void readsFromStreamsThatReturnOneByteAtATime() throws Exception {
        List<byte[]> lines = lines(new Random(9), 100, 400);
        InputStream trickle = new ByteArrayInputStream(encode(lines, new Random(3))) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        LineDecoder decoder = new LineDecoder("t", 1 << 20, BUFFER);
        List<byte[]> out = new ArrayList<>();
        while (true) {
            while (decoder.next()) {
                out.add(decoder.frameArray());
            }
            if (decoder.readFrom(trickle) < 0) {
                break;
            }
        }
        assertSame(lines, out);
    }
}
