package dev.conduit.internal.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A named cursor, {@code ?cursor=NAME}: a receiver's position kept in {@code PATH/NAME.cursor},
 * so a consumer that restarts goes on where it left off. The file is 192 bytes, mapped, and holds
 * two slots; each store writes the slot the last store did not, so a crash at any point leaves
 * the last complete store intact in the other slot:
 *
 * <pre>
 *   0  u64 zero (reserved)
 *  64  slot 0: u64 sequence, u64 position, u64 check = mix(sequence, position)
 * 128  slot 1: the same
 * </pre>
 *
 * The slot with a matching check and the higher sequence holds the position; a zero-filled file
 * holds none yet. One receiver at a time holds a cursor: it takes an exclusive lock on the file
 * ({@code fcntl}), so a second receiver with the same name, in any process, is refused. Written
 * by the receiving thread only.
 */
final class Cursor implements AutoCloseable {
    static final String SUFFIX = ".cursor";
    static final long FILE_BYTES = 192;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long SLOT_0 = 64;
    private static final long SLOT_BYTES = 64;

    final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Arena arena;
    private final MemorySegment mapping;
    private long sequence;
    private long stored;

    private Cursor(Path file, FileChannel channel, FileLock lock, Arena arena, MemorySegment mapping) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.arena = arena;
        this.mapping = mapping;
        long[] found = read(mapping);
        this.sequence = found[0];
        this.stored = found[1];
    }

    /** @return whether {@code name} is a cursor's name: letters, digits, '.', '_', '-', not starting with '.' */
    static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Opens (making it if missing) and locks the cursor {@code name} of the log in {@code dir}.
     *
     * @throws IOException naming the file if it is held by another receiver, or is not a cursor
     */
    static Cursor open(Path dir, String name, String context) throws IOException {
        Path file = dir.resolve(name + SUFFIX);
        FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Arena arena = Arena.ofShared();
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException(context + ": cursor " + name + " (" + file + ") is held by another receiver;"
                        + " a cursor has one receiver at a time");
            }
            if (channel.size() < FILE_BYTES) {
                // Made just now (or by a receiver that died before this): zeros hold no position.
                channel.write(ByteBuffer.allocate(1), FILE_BYTES - 1);
            }
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES, arena);
            if (read(mapping)[0] < 0) {
                throw new IOException(context + ": cursor " + name + " (" + file + ") is damaged: neither of its two"
                        + " slots checks out; delete the file to start the cursor again");
            }
            return new Cursor(file, channel, lock, arena, mapping);
        } catch (IOException | RuntimeException e) {
            arena.close();
            channel.close();
            throw e;
        }
    }

    /**
     * Reads the position of the cursor file {@code file} without locking it, for a report.
     *
     * @return the position, or -1 if none is stored or the file is damaged
     */
    static long peek(Path file) throws IOException {
        byte[] bytes = new byte[(int) FILE_BYTES];
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            channel.read(ByteBuffer.wrap(bytes), 0);
        }
        return read(MemorySegment.ofArray(bytes))[1];
    }

    /** @return {sequence, position} of the valid slot with the higher sequence; {0, -1} if none; {-1, -1} if damaged */
    private static long[] read(MemorySegment m) {
        long[] best = {0, -1};
        boolean blank = true;
        for (int i = 0; i < 2; i++) {
            long at = SLOT_0 + i * SLOT_BYTES;
            long seq = m.get(U64, at);
            long position = m.get(U64, at + 8);
            long check = m.get(U64, at + 16);
            blank &= seq == 0 && position == 0 && check == 0;
            if (seq > 0 && check == mix(seq, position) && seq > best[0]) {
                best[0] = seq;
                best[1] = position;
            }
        }
        return best[1] < 0 && !blank ? new long[] {-1, -1} : best;
    }

    /** A 64-bit mix (SplitMix64's finaliser) of a slot's words: a torn slot fails it. */
    static long mix(long sequence, long position) {
        long z = sequence * 0x9E3779B97F4A7C15L ^ position;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31) | 1;
    }

    /** @return whether a position was ever stored */
    boolean stored() {
        return stored >= 0;
    }

    /** @return the position stored last, or -1 */
    long position() {
        return stored;
    }

    /**
     * Stores {@code position} in the slot the last store did not use, if it changed. Plain
     * stores into the page cache: no system call, nothing allocated.
     */
    void store(long position) {
        if (position == stored) {
            return;
        }
        long seq = sequence + 1;
        long at = SLOT_0 + (seq & 1) * SLOT_BYTES;
        mapping.set(U64, at, seq);
        mapping.set(U64, at + 8, position);
        mapping.set(U64, at + 16, mix(seq, position));
        sequence = seq;
        stored = position;
    }

    @Override
    public void close() throws IOException {
        try {
            arena.close();
            lock.release();
        } finally {
            channel.close();
        }
    }
}
