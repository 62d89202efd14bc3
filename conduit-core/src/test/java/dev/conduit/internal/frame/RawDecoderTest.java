package dev.conduit.internal.frame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RawDecoderTest {
    @Test
    void eachFeedIsOneMessageCutAtMaxFrame() throws Exception {
        RawDecoder decoder = new RawDecoder("t", 10, 64);
        decoder.feed(new byte[] {1, 2, 3}, 0, 3);
        assertTrue(decoder.next());
        assertEquals(3, decoder.frame().remaining());
        assertFalse(decoder.next());
        byte[] big = new byte[25];
        new Random(1).nextBytes(big);
        decoder.feed(big, 0, big.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int messages = 0;
        while (decoder.next()) {
            assertTrue(decoder.frame().remaining() <= 10);
            out.writeBytes(decoder.frameArray());
            messages++;
        }
        assertEquals(3, messages);
        assertArrayEquals(big, out.toByteArray());
        assertFalse(decoder.endOfInput());
        assertFalse(decoder.midFrame());
    }

    @Test
    void everyByteComesOutInOrderWhateverTheSplits() throws Exception {
        byte[] input = new byte[100_000];
        Random random = new Random(2);
        random.nextBytes(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameDecoderTest.decode(new RawDecoder("t", 1000, 256), input, () -> random.nextInt(700))
                .forEach(out::writeBytes);
        assertArrayEquals(input, out.toByteArray());
    }

    @Test
    void refusesMaxFrameZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RawDecoder("t", 0, 64));
        assertEquals("t: maxFrame=0 (expected >= 1 with framing=raw, whose messages are the bytes as they come)",
                e.getMessage());
    }
}
