package dev.conduit;

import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.testing.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedMemory}: named objects in {@code /dev/shm}, shared with a child JVM for the
 * cross-process atomics. Every test removes the names it made, whether it passes or not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SharedMemoryTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    /** Where the child and this test meet: the child's "go", then the int and long counters. */
    private static final long GO = 0;
    private static final long INT_COUNTER = 8;
    private static final long LONG_COUNTER = 16;
    private static final int INCREMENTS = 100_000;

    private final List<String> names = new ArrayList<>();
    private final List<SharedMemory> mappings = new ArrayList<>();

    @AfterEach
    void closeAndUnlinkEverything() throws Exception {
        mappings.forEach(SharedMemory::close);
        for (String name : names) {
            try {
                SharedMemory.unlink(name);
            } catch (NoSuchFileException e) {
                // The test unlinked it itself.
            }
        }
    }

    /** @return a name no other test or run uses, removed after the test */
    private String newName() {
        String name = "conduit-test-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
        names.add(name);
        return name;
    }

    private SharedMemory track(SharedMemory memory) {
        mappings.add(memory);
        return memory;
    }

    @Test
    void createdMemoryIsZeroedAndAnotherMappingSeesItsWrites() throws Exception {
        String name = newName();
        SharedMemory created = track(SharedMemory.create(name, 4096));
        assertEquals(name, created.name());
        assertEquals(4096, created.size());
        assertEquals(4096, created.segment().byteSize());
        for (long i = 0; i < 4096; i += 8) {
            assertEquals(0, created.getLong(i), "byte " + i);
        }
        created.setInt(4, 42);
        created.setLong(4088, -7);
        SharedMemory opened = track(SharedMemory.open(name));
        assertEquals(4096, opened.size());
        assertEquals(42, opened.getInt(4));
        assertEquals(-7, opened.getLong(4088));
        opened.segment().set(ValueLayout.JAVA_BYTE, 100, (byte) 9);
        assertEquals(9, created.segment().get(ValueLayout.JAVA_BYTE, 100));
    }

    @Test
    void openMapsTheObjectAtItsCurrentSize() throws Exception {
        String name = newName();
        track(SharedMemory.create(name, 10_001));
        assertEquals(10_001, track(SharedMemory.open(name)).size());
    }

    @Test
    void aReadOnlyMappingSeesTheWritersValuesAndRefusesEveryWrite() throws Exception {
        String name = newName();
        SharedMemory writer = track(SharedMemory.create(name, 64));
        writer.setLong(8, 42);
        SharedMemory reader = track(SharedMemory.openReadOnly(name));
        assertTrue(reader.isReadOnly());
        assertFalse(writer.isReadOnly());
        assertEquals(42, reader.getLong(8));
        writer.setInt(4, 7);
        assertEquals(7, reader.getInt(4));
        assertEquals(7, reader.segment().get(ValueLayout.JAVA_INT, 4));

        List<Executable> writes = List.of(() -> reader.setInt(0, 1), () -> reader.compareAndSetInt(0, 0, 1),
                () -> reader.getAndAddInt(0, 1), () -> reader.setLong(0, 1), () -> reader.compareAndSetLong(0, 0, 1),
                () -> reader.getAndAddLong(0, 1));
        List<String> calls = List.of("setInt", "compareAndSetInt", "getAndAddInt", "setLong", "compareAndSetLong",
                "getAndAddLong");
        for (int i = 0; i < writes.size(); i++) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, writes.get(i));
            assertEquals("shared memory '" + name + "': " + calls.get(i) + " at offset 0: the mapping is read-only"
                    + " (opened with openReadOnly; open(name) maps it for writing)", e.getMessage());
        }
        // Without the read-only segment, these stores would fault on a PROT_READ page and end the JVM.
        IllegalArgumentException set = assertThrows(IllegalArgumentException.class,
                () -> reader.segment().set(ValueLayout.JAVA_INT, 0, 1));
        assertEquals("Attempt to write a read-only segment", set.getMessage());
        assertThrows(IllegalArgumentException.class, () -> reader.segment().fill((byte) 1));
        assertThrows(IllegalArgumentException.class,
                () -> MemorySegment.copy(writer.segment(), 0, reader.segment(), 0, 8));
        assertEquals(0, writer.getInt(0));
    }

    @Test
    void openReadOnlyOfAMissingNameSaysWhichCall() {
        String name = newName();
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SharedMemory.openReadOnly(name));
        assertEquals("shared memory '" + name + "': openReadOnly: shm_open(\"/" + name
                + "\", O_RDONLY, 00): No such file or directory (errno 2)", e.getMessage());
    }

    @Test
    void theObjectIsReadableAndWritableByItsOwnerOnly() throws Exception {
        String name = newName();
        track(SharedMemory.create(name, 64));
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(Path.of("/dev/shm", name)));
    }

    @Test
    void createRefusesAnExistingNameAndLeavesTheObjectAlone() throws Exception {
        String name = newName();
        track(SharedMemory.create(name, 64)).setInt(0, 5);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> SharedMemory.create(name, 64));
        assertEquals("shared memory '" + name + "': create: shm_open(\"/" + name
                + "\", O_RDWR|O_CREAT|O_EXCL, 0600): File exists (errno 17)", e.getMessage());
        assertEquals(Errno.EEXIST, assertInstanceOf(ErrnoException.class, e.getCause()).errno());
        assertEquals(5, track(SharedMemory.open(name)).getInt(0));
    }

    @Test
    void openOfAMissingNameFailsWithNoSuchFile() {
        String name = newName();
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SharedMemory.open(name));
        assertEquals("shared memory '" + name + "': open: shm_open(\"/" + name
                + "\", O_RDWR, 00): No such file or directory (errno 2)", e.getMessage());
        assertEquals(Errno.ENOENT, assertInstanceOf(ErrnoException.class, e.getCause()).errno());
    }

    @Test
    void unlinkRemovesTheNameButNotTheMappings() throws Exception {
        String name = newName();
        SharedMemory memory = track(SharedMemory.create(name, 64));
        SharedMemory.unlink(name);
        assertFalse(Files.exists(Path.of("/dev/shm", name)));
        assertThrows(NoSuchFileException.class, () -> SharedMemory.open(name));
        memory.setInt(0, 3);
        assertEquals(3, memory.getInt(0));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SharedMemory.unlink(name));
        assertEquals("shared memory '" + name + "': unlink: shm_unlink(\"/" + name
                + "\"): No such file or directory (errno 2)", e.getMessage());
    }

    @Test
    void badNamesAreRefusedWithTheProblem() {
        String tooLong = "\u00e9".repeat(128);
        Map<String, String> problems = Map.of(
                "", "is empty",
                "a/b", "contains '/'",
                "a\0b", "contains a NUL character",
                ".", "contains '..' or is '.'",
                "..", "contains '..' or is '.'",
                "a..b", "contains '..' or is '.'",
                tooLong, "is 256 bytes long; the limit is 255",
                "conduit-12-3-ab", "has the form conduit-PID-N-HEX, kept for the shm: transport's rings (listeners"
                        + " remove such objects when their process is gone)");
        problems.forEach((name, problem) -> {
            String expected = "shared memory '" + name + "': the name " + problem;
            for (Executable call : List.<Executable>of(() -> SharedMemory.create(name, 64),
                    () -> SharedMemory.open(name), () -> SharedMemory.unlink(name))) {
                assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
            }
        });
    }

    @Test
    void aNameOf255BytesIsAccepted() throws Exception {
        String prefix = newName();
        String name = prefix + "-" + "n".repeat(255 - prefix.length() - 1);
        names.add(name);
        assertEquals(255, track(SharedMemory.create(name, 64)).name().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void sizeMustBePositive() {
        String name = newName();
        for (long size : new long[] {0, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SharedMemory.create(name, size));
            assertEquals("shared memory '" + name + "': size " + size + " (expected: > 0)", e.getMessage());
        }
        assertFalse(Files.exists(Path.of("/dev/shm", name)));
    }

    @Test
    void offsetsMustBeNaturallyAlignedAndInside() throws Exception {
        String name = newName();
        SharedMemory m = track(SharedMemory.create(name, 4096));
        String prefix = "shared memory '" + name + "': offset ";
        List<Executable> ints = List.of(() -> m.getInt(6), () -> m.setInt(6, 1), () -> m.compareAndSetInt(6, 0, 1),
                () -> m.getAndAddInt(6, 1));
        assertAllRefused(prefix + "6 is not 4-byte aligned", ints);
        List<Executable> longs = List.of(() -> m.getLong(4), () -> m.setLong(4, 1),
                () -> m.compareAndSetLong(4, 0, 1), () -> m.getAndAddLong(4, 1));
        assertAllRefused(prefix + "4 is not 8-byte aligned", longs);
        assertAllRefused(prefix + "4096 + 8 bytes is beyond the 4096-byte segment", List.of(() -> m.getLong(4096),
                () -> m.setLong(4096, 1), () -> m.compareAndSetLong(4096, 0, 1), () -> m.getAndAddLong(4096, 1)));
        assertAllRefused(prefix + "4096 + 4 bytes is beyond the 4096-byte segment", List.of(() -> m.getInt(4096)));
        assertAllRefused(prefix + "-4 is negative", List.of(() -> m.getInt(-4), () -> m.setLong(-4, 1)));
        assertEquals(0, m.getInt(4092));
        assertEquals(0, m.getLong(4088));
    }

    @Test
    void anOddSizeEndsTheLastWholeWord() throws Exception {
        String name = newName();
        SharedMemory m = track(SharedMemory.create(name, 12));
        assertEquals(0, m.getInt(8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.getLong(8));
        assertEquals("shared memory '" + name + "': offset 8 + 8 bytes is beyond the 12-byte segment",
                e.getMessage());
    }

    private static void assertAllRefused(String message, List<Executable> calls) {
        for (Executable call : calls) {
            assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
        }
    }

    @Test
    void closeUnmapsOnceAndLaterAccessThrowsIllegalState() throws Exception {
        String name = newName();
        SharedMemory m = track(SharedMemory.create(name, 64));
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.segment().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> m.getInt(0));
        assertThrows(IllegalStateException.class, () -> m.compareAndSetLong(8, 0, 1));
        assertEquals(64, m.size());
        assertEquals(name, m.name());
        assertTrue(Files.exists(Path.of("/dev/shm", name)), "close must not unlink");
    }

    @Test
    void compareAndSetWritesOnlyOverTheExpectedValue() throws Exception {
        SharedMemory m = track(SharedMemory.create(newName(), 64));
        assertTrue(m.compareAndSetInt(0, 0, 5));
        assertFalse(m.compareAndSetInt(0, 0, 7));
        assertEquals(5, m.getInt(0));
        assertTrue(m.compareAndSetLong(8, 0, Long.MIN_VALUE));
        assertFalse(m.compareAndSetLong(8, 0, 7));
        assertEquals(Long.MIN_VALUE, m.getLong(8));
    }

    @Test
    void getAndAddReturnsThePreviousValueAndWraps() throws Exception {
        SharedMemory m = track(SharedMemory.create(newName(), 64));
        m.setInt(0, Integer.MAX_VALUE);
        assertEquals(Integer.MAX_VALUE, m.getAndAddInt(0, 1));
        assertEquals(Integer.MIN_VALUE, m.getInt(0));
        m.setLong(8, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, m.getAndAddLong(8, 1));
        assertEquals(Long.MIN_VALUE, m.getLong(8));
    }

    @Test
    void atomicsFromTwoProcessesLoseNoUpdates() throws Exception {
        String name = newName();
        SharedMemory m = track(SharedMemory.create(name, 64));
        Process child = null;
        try {
            child = ChildJvm.builder(Peer.class, name).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            m.setInt(GO, 1);
            Peer.increment(m);
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the child did not finish");
            assertEquals(0, child.exitValue());
        } finally {
            ChildJvm.kill(child);
        }
        assertEquals(2 * INCREMENTS, m.getInt(INT_COUNTER));
        assertEquals(2 * INCREMENTS, m.getLong(LONG_COUNTER));
    }

    /**
     * The child of {@link #atomicsFromTwoProcessesLoseNoUpdates}: {@code Peer NAME} opens the
     * object, says {@code ready}, and once the parent sets "go" increments both counters as the
     * parent does at the same time.
     */
    static final class Peer {
        private Peer() {
        }

        public static void main(String[] args) throws Exception {
            try (SharedMemory m = SharedMemory.open(args[0])) {
                System.out.println("ready");
                System.out.flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                // Spinning rather than waiting on the parent's word: the go should start both loops together.
                while (m.getInt(GO) == 0) {
                    if (System.nanoTime() > deadline) {
                        System.exit(2);
                    }
                    Thread.onSpinWait();
                }
                increment(m);
            }
        }

        /** Adds one to the int counter, and by compare-and-set to the long one, {@code INCREMENTS} times. */
        static void increment(SharedMemory m) {
            for (int i = 0; i < INCREMENTS; i++) {
                m.getAndAddInt(INT_COUNTER, 1);
                long seen;
                do {
                    seen = m.getLong(LONG_COUNTER);
                } while (!m.compareAndSetLong(LONG_COUNTER, seen, seen + 1));
            }
        }
    }
}
