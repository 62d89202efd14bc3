package dev.conduit;

import dev.conduit.testing.ChildJvm;
import dev.conduit.testing.StampedSender;
import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.conduit.testing.StampedSender.assertStamped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FifoTransportTest extends OneWayContract {
    private static final int MAX_FRAME = 1024 * 1024;
    private TempDir dir;
    private int count;

    @BeforeEach
    void makeDir() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void removeDir() throws IOException {
        dir.close();
    }

    private Path fresh() {
        return dir.resolve("f" + count++);
    }

    @Override
    protected Ends ends() throws Exception {
        return endsOn(freshEndpoint());
    }

    @Override
    protected String freshEndpoint() {
        return "fifo:" + fresh() + "?maxFrame=1m";
    }

    /** Above {@code PIPE_BUF} (4096) a frame goes out in several writes, which writers in other processes may split. */
    @Override
    protected int longestMessageFromManyProcesses() {
        return 4096 - 4;
    }

    @Override
    protected int maxFrame() {
        return MAX_FRAME;
    }

    @Override
    protected boolean allocatesNothingPerMessage() {
        return true;
    }

    @Test
    void writtenFramesGoOutTogetherInWritesOfAtMostPipeBuf() throws Exception {
        Ends ends = ends();
        track(ends.sender());
        track(ends.receiver());
        for (int i = 0; i < 10; i++) {
            ends.sender().write(message(i, 100));
        }
        assertNull(ends.receiver().receive(Duration.ofMillis(50)), "a batch that fits in PIPE_BUF waits for flush");
        ends.sender().flush();
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(message(i, 100), ends.receiver().receive(Duration.ofSeconds(10)), "message " + i);
        }
        // 41 frames of 104 bytes fill more than PIPE_BUF: the first 39 (4056 bytes) go out when the 40th comes.
        for (int i = 0; i < 41; i++) {
            ends.sender().write(message(i, 100));
        }
        for (int i = 0; i < 39; i++) {
            assertArrayEquals(message(i, 100), ends.receiver().receive(Duration.ofSeconds(10)), "message " + i);
        }
        assertNull(ends.receiver().receive(Duration.ofMillis(50)), "the rest waits for a send");
        ends.sender().send(message(41, 5));
        for (int i = 39; i < 42; i++) {
            assertArrayEquals(message(i, i == 41 ? 5 : 100), ends.receiver().receive(Duration.ofSeconds(10)));
        }
    }

    @Test
    void receiverOpensWithoutAWriterAndSeesNoEnd() throws Exception {
        Path path = fresh();
        assertTrue(Fifo.create(path));
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path));
        assertNull(receiver.tryReceive(), "no writer yet is empty, not the end");
        assertNull(receiver.receive(Duration.ofMillis(100)));
        assertNull(receiver.tryReceive());
        CompletableFuture<byte[]> blocked = async(() -> receiver.receive());
        assertFalse(awaitDone(blocked, Duration.ofMillis(200)), "receive returned with no writer ever");
        try (MessageSender sender = Conduit.openSender("fifo:" + path)) {
            sender.send("late");
        }
        assertEquals("late", new String(blocked.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofSeconds(10)),
                "the only writer came and went");
    }

    @Test
    void senderWithoutAReceiverFailsAtOnceSayingWhy() throws Exception {
        Path path = fresh();
        Fifo.create(path);
        IOException e = assertThrows(IOException.class, () -> Conduit.openSender("fifo:" + path));
        assertEquals("fifo:" + path + ": openSender: no receiver has the FIFO open; a receiver must open the FIFO"
                + " first (Conduit.openReceiver), or pass a time-out to openSender to wait for one", e.getMessage());
        IOException absent = assertThrows(IOException.class, () -> Conduit.openSender("fifo:" + fresh()));
        assertTrue(absent.getMessage().contains(": openSender: no FIFO at "), absent.getMessage());
    }

    @Test
    void senderWaitsForAReceiverUntilItsTimeOut() throws Exception {
        Path path = fresh();
        Fifo.create(path);
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> Conduit.openSender("fifo:" + path, Duration.ofMillis(200)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "gave up early");
        assertTrue(e.getMessage().contains("no receiver has the FIFO open (waited 200 ms)"), e.getMessage());
        CompletableFuture<MessageSender> opening = async(() -> Conduit.openSender("fifo:" + path,
                Duration.ofSeconds(30)));
        assertFalse(awaitDone(opening, Duration.ofMillis(100)), "opened with no receiver");
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path));
        MessageSender sender = track(opening.get(10, TimeUnit.SECONDS));
        sender.send("hello");
        assertEquals("hello", receiver.receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void endOfStreamOnlyAfterTheLastWriterCloses() throws Exception {
        Path path = fresh();
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path));
        MessageSender first = Conduit.openSender("fifo:" + path);
        MessageSender second = Conduit.openSender("fifo:" + path);
        first.send("one");
        first.close();
        assertEquals("one", receiver.receiveString(Duration.ofSeconds(10)));
        assertNull(receiver.receive(Duration.ofMillis(100)), "a writer is still there");
        second.send("two");
        second.close();
        assertEquals("two", receiver.receiveString(Duration.ofSeconds(10)));
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, receiver::tryReceive);
        assertEquals("fifo:" + path + ": receive: connection closed by peer", e.getMessage());
        try (MessageSender late = Conduit.openSender("fifo:" + path)) {
            late.send("after the end");
            assertThrows(ConnectionClosedException.class, () -> receiver.receive(Duration.ofMillis(100)),
                    "the end is final for this receiver");
        }
    }

    @Test
    void partialFrameIsKeptAcrossTryReceive() throws Exception {
        Path path = fresh();
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path));
        try (FileChannel raw = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ByteBuffer frame = ByteBuffer.allocate(4 + 10).putInt(10).put("0123456789".getBytes(StandardCharsets.UTF_8))
                    .flip();
            raw.write(frame.slice(0, 2));
            assertNull(receiver.tryReceive(), "half a header");
            raw.write(frame.slice(2, 5));
            assertNull(receiver.tryReceive(), "a header and 3 bytes");
            assertNull(receiver.receive(Duration.ofMillis(50)));
            raw.write(frame.slice(7, 7));
            assertEquals("0123456789", receiver.receiveString(Duration.ofSeconds(10)));
            raw.write(frame.slice(0, 6));
        }
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class,
                () -> receiver.receive(Duration.ofSeconds(10)));
        assertTrue(e.getMessage().endsWith("every writer closed the FIFO in the middle of a message (6 bytes of it"
                + " received, header included)"), e.getMessage());
    }

    @Test
    void vanishedReceiverIsAClosedConnectionNotADeadJvm() throws Exception {
        Path path = fresh();
        MessageReceiver receiver = Conduit.openReceiver("fifo:" + path);
        MessageSender sender = track(Conduit.openSender("fifo:" + path));
        sender.send("seen");
        receiver.close();
        ConnectionClosedException e = assertThrows(ConnectionClosedException.class, () -> sender.send("lost"));
        assertEquals("fifo:" + path + ": send: the receiver closed the FIFO (EPIPE); nothing more can be sent on"
                + " this end", e.getMessage());
        assertThrows(ConnectionClosedException.class, () -> sender.send("after"));
    }

    @Test
    void createMakesMode0600WhateverTheUmaskAndAcceptsAnExistingFifo() throws Exception {
        Path path = fresh();
        assertTrue(Fifo.create(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals("fifo", kind(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r-----"));
        assertFalse(Fifo.create(path), "an existing FIFO is fine");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertTrue(Fifo.remove(path));
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Fifo.remove(path), "absent is fine");
    }

    @Test
    void createUnderAStrictUmaskStillGives0600() throws Exception {
        Path path = fresh();
        Process shell = new ProcessBuilder("sh", "-c", "umask 0377 && mkfifo \"$0\" && stat -c %a \"$0\"",
                path.toString()).start();
        assertEquals("400", new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip(),
                "the shell's mkfifo under umask 0377");
        assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
        Files.delete(path);
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", "umask 0377 && exec \"$@\"", "sh"));
        command.addAll(ChildJvm.command(CreateWithUmask.class, path.toString()));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertEquals(0, child.waitFor(30, TimeUnit.SECONDS) ? child.exitValue() : -1);
        } finally {
            ChildJvm.kill(child);
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
    }

    /** Child: Fifo.create under the umask 0377 it inherited from its shell. */
    public static final class CreateWithUmask {
        public static void main(String[] args) throws IOException {
            Fifo.create(Path.of(args[0]));
        }
    }

    @Test
    void refusesFilesThatAreNotFifosAndSymbolicLinks() throws Exception {
        Path plain = fresh();
        Files.writeString(plain, "data");
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> Fifo.create(plain));
        assertEquals(plain + ": Fifo.create: a file that is not a FIFO is there; left alone", e.getMessage());
        assertThrows(FileAlreadyExistsException.class, () -> Fifo.remove(plain));
        assertEquals("data", Files.readString(plain));
        IOException r = assertThrows(IOException.class, () -> Conduit.openReceiver("fifo:" + plain));
        assertEquals("fifo:" + plain + ": openReceiver: " + plain + " is not a FIFO; left alone", r.getMessage());
        Path fifo = fresh();
        Fifo.create(fifo);
        Path link = fresh();
        Files.createSymbolicLink(link, fifo);
        FileAlreadyExistsException l = assertThrows(FileAlreadyExistsException.class, () -> Fifo.create(link));
        assertTrue(l.getMessage().contains("a symbolic link is there, not a FIFO; not following it"), l.getMessage());
        assertThrows(FileAlreadyExistsException.class, () -> Fifo.remove(link));
        IOException o = assertThrows(IOException.class, () -> Conduit.openReceiver("fifo:" + link));
        assertEquals("fifo:" + link + ": openReceiver: " + link + " is a symbolic link; FIFOs are never opened"
                + " through one", o.getMessage());
        try (MessageReceiver receiver = Conduit.openReceiver("fifo:" + fifo)) {
            IOException s = assertThrows(IOException.class, () -> Conduit.openSender("fifo:" + link));
            assertTrue(s.getMessage().contains("is a symbolic link"), s.getMessage());
            assertNull(receiver.tryReceive());
        }
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("fifo", kind(fifo));
    }

    @Test
    void refusesBadPathsAndOptions() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("fifo:"));
        assertEquals("endpoint 'fifo:': expected fifo:PATH", empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conduit.openSender("fifo:?maxFrame=1"));
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("fifo:/tmp/a\0b"));
        assertTrue(nul.getMessage().contains("contains a NUL character"), nul.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Fifo.create(Path.of("")));
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
                () -> Conduit.openReceiver("fifo:" + fresh() + "?mode=0600"));
        assertTrue(option.getMessage().endsWith("unknown option 'mode' for fifo (known: framing, maxFrame, pipeSize, spin)"),
                option.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conduit.openReceiver("fifo:" + fresh() + "?pipeSize=x"));
        assertThrows(IllegalArgumentException.class, () -> Conduit.listen("fifo:/tmp/x"));
        assertThrows(IOException.class, () -> Conduit.openReceiver("fifo:" + dir.resolve("no/such/dir")));
    }

    @Test
    void receiverRemovesOnlyTheFifoItMade() throws Exception {
        Path made = fresh();
        Conduit.openReceiver("fifo:" + made).close();
        assertFalse(Files.exists(made, LinkOption.NOFOLLOW_LINKS), "made by the receiver, removed on close");
        Path found = fresh();
        Fifo.create(found);
        Conduit.openReceiver("fifo:" + found).close();
        assertEquals("fifo", kind(found), "found there, left there");
    }

    @Test
    void pipeSizeAsksTheKernelForABiggerBuffer() throws Exception {
        Path path = fresh();
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path + "?pipeSize=256k"));
        MessageSender sender = track(Conduit.openSender("fifo:" + path));
        int accepted = 0;
        while (sender.trySend(new byte[1020])) {
            accepted++;
            assertTrue(accepted < 10_000, "never full");
        }
        assertTrue(accepted * 1024 > 200 * 1024 && accepted * 1024 <= 256 * 1024,
                accepted + " frames of 1 KiB fit; the default pipe holds 64 KiB");
        for (int i = 0; i < accepted; i++) {
            assertEquals(1020, receiver.receive(Duration.ofSeconds(10)).length);
        }
    }

    @Test
    void pipeSizeAboveTheLimitIsRefusedForUnprivilegedProcesses() throws Exception {
        long limit = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/fs/pipe-max-size")).getFirst().strip());
        Path path = fresh();
        String endpoint = "fifo:" + path + "?pipeSize=" + limit * 2;
        IOException e;
        try (MessageReceiver receiver = Conduit.openReceiver(endpoint)) {
            assertNull(receiver.tryReceive());
            // Granted: this process has CAP_SYS_RESOURCE, which lifts the limit.
            Assumptions.abort("pipe-max-size is no limit with CAP_SYS_RESOURCE");
            return;
        } catch (IOException refused) {
            e = refused;
        }
        assertTrue(e.getMessage().contains(": openReceiver: pipeSize=" + limit * 2 + " refused: above the limit for"
                + " unprivileged processes, /proc/sys/fs/pipe-max-size = " + limit), e.getMessage());
    }

    @Test
    void blockedReceiveOnAVirtualThreadWakesForAMessage() throws Exception {
        Ends ends = ends();
        track(ends.sender());
        track(ends.receiver());
        CompletableFuture<String> got = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                got.complete(ends.receiver().receiveString(Duration.ofSeconds(30)));
            } catch (Throwable t) {
                got.completeExceptionally(t);
            }
        });
        assertFalse(awaitDone(got, Duration.ofMillis(100)));
        ends.sender().send("to a virtual thread");
        assertEquals("to a virtual thread", got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void killedSenderEndsABlockedReceiveAfterWholeMessagesOnly() throws Exception {
        Path path = fresh();
        MessageReceiver receiver = track(Conduit.openReceiver("fifo:" + path + "?maxFrame=1m"));
        Process child = ChildJvm.builder(StampedSender.class, "fifo:" + path + "?maxFrame=1m", "0", "-1", "20000")
                .start();
        try {
            InputStream out = child.getInputStream();
            assertEquals('R', out.read(), "the child opened its sender");
            int whole = 0;
            for (; whole < 200; whole++) {
                assertStamped(receiver.receive(Duration.ofSeconds(30)), 0, whole);
            }
            ChildJvm.kill(child);
            ConnectionClosedException end = null;
            while (end == null) {
                try {
                    assertStamped(receiver.receive(Duration.ofSeconds(30)), 0, whole++);
                } catch (ConnectionClosedException e) {
                    end = e;
                }
            }
            assertTrue(end.getMessage().startsWith("fifo:" + path + "?maxFrame=1m: receive: "), end.getMessage());
        } finally {
            ChildJvm.kill(child);
        }
    }

    private static String kind(Path path) throws IOException {
        int mode = (int) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0010000 ? "fifo" : Integer.toOctalString(mode);
    }
}
