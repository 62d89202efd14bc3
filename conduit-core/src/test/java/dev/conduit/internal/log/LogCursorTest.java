package dev.conduit.internal.log;

import dev.conduit.Conduit;
import dev.conduit.LogInfo;
import dev.conduit.LogPosition;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named cursors, {@code ?cursor=NAME}: a receiver's position kept in the log's directory. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogCursorTest extends LogFixture {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private void send(int from, int to, String query) throws IOException {
        try (MessageSender sender = Conduit.openSender(log + query)) {
            for (int i = from; i < to; i++) {
                sender.send(LogWriterChild.stamped(i));
            }
        }
    }

    @Test
    void aReopenedCursorGoesOnAfterTheLastMessageItsReceiverWasDoneWith() throws Exception {
        send(0, 5, "");
        try (MessageReceiver r = Conduit.openReceiver(log + "?cursor=billing&from=start")) {
            assertEquals(0, LogWriterChild.check(r.receive(WAIT)));
            assertEquals(1, LogWriterChild.check(r.receive(WAIT)));
        }
        MessageReceiver again = track(Conduit.openReceiver(log + "?cursor=billing&from=end"));
        assertEquals(2, LogWriterChild.check(again.receive(WAIT)), "from= is for a new cursor only");
        // Another name is another cursor; a new one starts at from=.
        MessageReceiver other = track(Conduit.openReceiver(log + "?cursor=audit&from=start"));
        assertEquals(0, LogWriterChild.check(other.receive(WAIT)));
        LogInfo info = LogInfo.of(path);
        assertEquals(List.of("audit", "billing"), info.cursors().stream().map(LogInfo.CursorInfo::name).toList());
        assertEquals(Optional.of(LogPosition.of(other).offset() - Segment.recordBytes(
                LogWriterChild.stamped(0).length)), info.cursors().get(0).position(),
                "the message in hand is not yet done with");
    }

    @Test
    void aNewCursorFromTheEndKeepsThatPlaceForItsNextOpening() throws Exception {
        send(0, 2, "");
        Conduit.openReceiver(log + "?cursor=late").close();
        send(2, 4, "");
        MessageReceiver r = track(Conduit.openReceiver(log + "?cursor=late"));
        assertEquals(2, LogWriterChild.check(r.receive(WAIT)));
    }

    @Test
    void aCursorHasOneReceiverAtATimeAndAValidName() throws Exception {
        track(Conduit.openReceiver(log + "?cursor=one"));
        IOException held = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?cursor=one"));
        assertEquals(log + "?cursor=one: open: cursor one (" + path.resolve("one.cursor") + ") is held"
                + " by another receiver; a cursor has one receiver at a time", held.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver(log + "?cursor=.x"));
        assertEquals("endpoint '" + log + "?cursor=.x': cursor=.x (expected 1 to 64 letters, digits, '.', '_' or"
                + " '-', not starting with '.')", bad.getMessage());
        assertEquals("endpoint '" + log + "?cursor=x': cursor is a receiver's option; this end does not take it",
                assertThrows(IllegalArgumentException.class, () -> Conduit.openSender(log + "?cursor=x"))
                        .getMessage());
    }

    @Test
    void aTornStoreLeavesThePreviousPositionAndGarbageInBothSlotsIsRefused() throws Exception {
        send(0, 3, "");
        try (MessageReceiver r = Conduit.openReceiver(log + "?cursor=c&from=start")) {
            r.receive(WAIT);
            r.receive(WAIT); // stores the position after message 0: sequence 2, in slot 0
        } // close stores the position after message 1: sequence 3, in slot 1
        Path file = path.resolve("c.cursor");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, Cursor.FILE_BYTES, arena);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, 128 + 8, 12345); // a crash between the position and its check
        }
        MessageReceiver r = track(Conduit.openReceiver(log + "?cursor=c"));
        assertEquals(1, LogWriterChild.check(r.receive(WAIT)), "the previous position");
        r.close();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_WRITE, 0, Cursor.FILE_BYTES, arena);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, 64 + 16, 1);
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, 128 + 16, 1);
        }
        IOException damaged = assertThrows(IOException.class, () -> Conduit.openReceiver(log + "?cursor=c"));
        assertEquals(log + "?cursor=c: open: cursor c (" + file + ") is damaged: neither of its two slots checks"
                + " out; delete the file to start the cursor again", damaged.getMessage());
    }

    @Test
    void aConsumerKilledMidStreamAndRestartedSkipsNothingAndRepeatsAtMostTheMessageInHand() throws Exception {
        int count = 2000;
        send(0, count, "");
        String endpoint = log + "?cursor=worker&from=start";
        List<Integer> first = new ArrayList<>();
        Process child = ChildJvm.builder(LogCursorChild.class, endpoint, String.valueOf(count - 1)).start();
        try (BufferedReader out = reader(child)) {
            while (first.size() < 300) {
                first.add(number(out.readLine()));
            }
            // SIGKILL, blocked writing to the full pipe, in the middle of the stream. Through its handle,
            // since Process.destroyForcibly would also close the pipe before the rest is read.
            child.toHandle().destroyForcibly();
            child.waitFor();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.length() == LogCursorChild.LINE) {
                    first.add(number(line)); // a partial last line was not printed whole
                }
            }
        } finally {
            ChildJvm.kill(child);
        }
        List<Integer> second = new ArrayList<>();
        Process restarted = ChildJvm.builder(LogCursorChild.class, endpoint, String.valueOf(count - 1)).start();
        try (BufferedReader out = reader(restarted)) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                second.add(number(line));
            }
            assertEquals(0, restarted.waitFor());
        } finally {
            ChildJvm.kill(restarted);
        }
        int last = first.getLast();
        assertTrue(last < count - 1, "the kill came after the end: " + last);
        for (int i = 0; i < first.size(); i++) {
            assertEquals(i, first.get(i));
        }
        int resumed = second.getFirst();
        assertTrue(resumed == last || resumed == last + 1, "printed up to " + last + ", restarted at " + resumed);
        for (int i = 0; i < second.size(); i++) {
            assertEquals(resumed + i, second.get(i));
        }
        assertEquals(count - 1, second.getLast());
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    }

    private static int number(String line) {
        return Integer.parseInt(line.substring(0, line.indexOf(' ')));
    }
}
