package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;
import dev.conduit.testing.LongFuzz;
import dev.conduit.testing.QuickFuzz;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line decoder against hostile input: any bytes, fed in pieces of any size, then the end of
 * the input, must come out as exactly the lines a plain reading finds (split at {@code \n}, one
 * {@code \r} before it dropped, the bytes after the last newline a last line), up to the first
 * line that cannot fit in {@code maxFrame}, which must be refused with
 * {@link FrameTooLongException}; nothing else may be thrown, and nothing held may pass
 * {@code maxFrame + 1} bytes. The input's first byte picks the piece size, its second
 * {@code maxFrame}.
 */
class LineDecoderFuzzTest {
    @QuickFuzz
    void decodesWhatAPlainReadingFinds(byte[] input) {
        check(input);
    }

    @LongFuzz
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void decodesWhatAPlainReadingFindsLong(byte[] input) {
        check(input);
    }

    private static void check(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int piece = 1 + (input[0] & 0xff);
        // Small limits reach the refusal; 200 or more lets lines pass the 64-byte buffer whole.
        int maxFrame = (input[1] & 0xff) < 128 ? (input[1] & 0x7f) : 200 + (input[1] & 0x7f) * 16;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);
        Expected expected = plainReading(stream, maxFrame);

        LineDecoder decoder = new LineDecoder("fuzz", maxFrame, 64);
        List<byte[]> lines = new ArrayList<>();
        boolean refused = false;
        int fed = 0;
        try {
            while (true) {
                while (decoder.next()) {
                    lines.add(decoder.frameArray());
                }
                assertTrue(decoder.heldBytes() <= maxFrame + 1L + 64, "held " + decoder.heldBytes());
                if (fed == stream.length) {
                    break;
                }
                fed += decoder.feed(stream, fed, Math.min(piece, stream.length - fed));
            }
            decoder.endOfInput();
            while (decoder.next()) {
                lines.add(decoder.frameArray());
            }
        } catch (FrameTooLongException e) {
            refused = true;
        }
        assertEquals(expected.refused, refused, "refusal of a line above maxFrame " + maxFrame);
        assertEquals(expected.lines.size(), lines.size(), "lines decoded");
        for (int i = 0; i < lines.size(); i++) {
            assertArrayEquals(expected.lines.get(i), lines.get(i), "line " + i);
        }
    }

    private record Expected(List<byte[]> lines, boolean refused) {
    }

    /** The stream read the obvious way: split at each newline, the rest a last line. */
    private static Expected plainReading(byte[] stream, int maxFrame) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        while (start < stream.length) {
            int newline = start;
            while (newline < stream.length && stream[newline] != '\n') {
                newline++;
            }
            int end = newline > start && stream[newline - 1] == '\r' ? newline - 1 : newline;
            if (end - start > maxFrame) {
                return new Expected(lines, true);
            }
            lines.add(Arrays.copyOfRange(stream, start, end));
            start = newline + 1;
        }
        return new Expected(lines, false);
    }
}
