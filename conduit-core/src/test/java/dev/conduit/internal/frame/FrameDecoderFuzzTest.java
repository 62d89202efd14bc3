package dev.conduit.internal.frame;

import dev.conduit.FrameTooLongException;
import dev.conduit.testing.LongFuzz;
import dev.conduit.testing.QuickFuzz;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frame decoder against hostile input: any bytes, fed in pieces of any size, must come out
 * as exactly the frames a plain reading of the stream finds, up to the first header above
 * {@code maxFrame}, which must be refused with {@link FrameTooLongException}; nothing else may
 * be thrown. The input's first byte picks the piece size, its second {@code maxFrame}.
 */
class FrameDecoderFuzzTest {
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
        // Small limits reach the refusal; 200 or more lets frames pass the 64-byte buffer whole.
        int maxFrame = (input[1] & 0xff) < 128 ? (input[1] & 0x7f) : 200 + (input[1] & 0x7f) * 16;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);
        Expected expected = plainReading(stream, maxFrame);

        FrameDecoder decoder = new FrameDecoder("fuzz", maxFrame, 64);
        List<byte[]> frames = new ArrayList<>();
        boolean refused = false;
        int fed = 0;
        outer:
        while (true) {
            try {
                while (decoder.next()) {
                    frames.add(decoder.frameArray());
                }
            } catch (FrameTooLongException e) {
                refused = true;
                break;
            }
            if (fed == stream.length) {
                break;
            }
            int n = decoder.feed(stream, fed, Math.min(piece, stream.length - fed));
            if (n == 0) {
                break outer;
            }
            fed += n;
        }
        assertEquals(expected.refused, refused, "refusal of a header above maxFrame " + maxFrame);
        assertEquals(expected.frames.size(), frames.size(), "frames decoded");
        for (int i = 0; i < frames.size(); i++) {
            assertArrayEquals(expected.frames.get(i), frames.get(i), "frame " + i);
        }
        if (!refused) {
            assertEquals(expected.leftover > 0, decoder.midFrame(), "an incomplete frame is held");
            assertEquals(expected.leftover, decoder.heldBytes(), "bytes of the incomplete frame");
        } else {
            assertTrue(expected.frames.size() <= frames.size());
        }
        assertFalse(fed > stream.length);
    }

    private record Expected(List<byte[]> frames, boolean refused, long leftover) {
    }

    /** The stream read the obvious way: a u32 big-endian length, then that many bytes, again. */
    private static Expected plainReading(byte[] stream, int maxFrame) {
        List<byte[]> frames = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(stream);
        while (in.remaining() >= 4) {
            long length = Integer.toUnsignedLong(in.getInt(in.position()));
            if (length > maxFrame) {
                return new Expected(frames, true, 0);
            }
            if (in.remaining() < 4 + length) {
                break;
            }
            in.position(in.position() + 4);
            byte[] frame = new byte[(int) length];
            in.get(frame);
            frames.add(frame);
        }
        return new Expected(frames, false, in.remaining());
    }
}
