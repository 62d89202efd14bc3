package dev.conduit.internal.shm;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.testing.LongFuzz;
import dev.conduit.testing.MemPair;
import dev.conduit.testing.QuickFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The shared-memory ring's reader against a ring a broken or hostile producer wrote: any bytes
 * in the data area and any producer position. Receiving must give messages no longer than
 * {@code maxFrame}, or nothing yet, or end the connection with {@link ConnectionClosedException}
 * ("the ring is corrupt") or {@link FrameTooLongException}; never another exception, never a
 * hang, never an access outside the ring.
 */
class RingReaderFuzzTest {
    private static final AtomicLong NAMES = new AtomicLong();

    @QuickFuzz
    void readsACorruptRingSafely(FuzzedDataProvider data) throws Exception {
        check(data);
    }

    @LongFuzz
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void readsACorruptRingSafelyLong(FuzzedDataProvider data) throws Exception {
        check(data);
    }

    @Test
    // A separate thread, so that a reader caught in a loop fails the test instead of hanging it.
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void paddingWhereARecordFitsIsACorruptRingNotAHang() throws Exception {
        // A padding record at index 0 skips the whole data area back to index 0: stepping over
        // it lap after lap would never end.
        byte[] padding = {0, 0, 0, 0, Ring.PADDING, 0, 0, 0};
        String error = read(64, 1L << 62, padding);
        assertTrue(error.contains("the ring is corrupt: padding at index 0, where any record would fit"), error);
    }

    private static void check(FuzzedDataProvider data) throws Exception {
        int maxFrame = data.consumeInt(0, 3 * (int) RingFile.MIN_CAPACITY);
        long tail = data.consumeBoolean() ? data.consumeLong(0, RingFile.MIN_CAPACITY) : data.consumeLong();
        read(maxFrame, tail, data.consumeRemainingAsBytes());
    }

    /** @return the error that ended reading, or null if it ended without one */
    private static String read(int maxFrame, long tail, byte[] bytes) throws Exception {
        String name = "/conduit-fuzz-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        RingFile file = RingFile.create(name, RingFile.MIN_CAPACITY, -1, 0600);
        // Unlinked at once: the mapping stays, and nothing is left in /dev/shm whatever happens.
        ShmNames.unlinkQuietly(name.substring(1));
        List<AutoCloseable> open = new ArrayList<>();
        // The reader owns the file once made; until then the test does.
        open.add(file);
        try {
            Connection[] control = MemPair.open("ring-fuzz", open);
            ShmConnection reader = new ShmConnection(Endpoint.parse("shm:fuzz?maxFrame=" + maxFrame), file, true,
                    control[0], maxFrame, 0);
            open.remove(file);
            open.add(reader);
            Ring ring = file.clientToServer;
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, ring.data, 0, Math.min(bytes.length, ring.capacity));
            ring.publishTail(tail);
            for (int i = 0; i < 256; i++) {
                byte[] message;
                try {
                    message = reader.tryReceive();
                } catch (ConnectionClosedException | FrameTooLongException e) {
                    assertFalse(reader.isOpen(), "a reader that found the ring corrupt is closed");
                    return e.getMessage();
                } catch (IOException e) {
                    return fail("an unexpected kind of error: " + e, e);
                }
                if (message == null) {
                    return null;
                }
                assertTrue(message.length <= maxFrame, message.length + " bytes passed maxFrame " + maxFrame);
            }
            return null;
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }
}
