package dev.conduit.internal.ipcez;

import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Semaphores;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static dev.conduit.internal.unix.UnixPaths.modeString;

/**
 * One endpoint's pair of ipcez semaphores, {@code data_ready} and {@code data_acked}, open in
 * this process and shared by the listener that opened them and its connections, or owned by one
 * client. Counted: each holder {@link #release()}s once, and the last closes the semaphores.
 *
 * <p>Every native call runs under a read lock and the close under the write lock, so no thread
 * uses a semaphore after {@code sem_close} unmapped it (that would crash the JVM, not throw); a
 * wait holds the read lock for one slice only, so a close waits at most that long.
 */
final class AckSemaphores {
    private final String readyName;
    private final String ackedName;
    private final MemorySegment ready;
    private final MemorySegment acked;
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
    private int holders = 1; // guarded by the write lock
    private boolean closed; // written under the write lock, read under either

    private AckSemaphores(String readyName, String ackedName, MemorySegment ready, MemorySegment acked) {
        this.readyName = readyName;
        this.ackedName = ackedName;
        this.ready = ready;
        this.acked = acked;
    }

    /**
     * Opens the pair with {@code O_CREAT} and value 0, as a client does: whatever is there is
     * used, whoever made it.
     */
    static AckSemaphores open(String readyName, String ackedName, int mode) throws IOException {
        MemorySegment ready = Semaphores.open(readyName, 0, mode);
        try {
            return new AckSemaphores(readyName, ackedName, ready, Semaphores.open(ackedName, 0, mode));
        } catch (IOException | RuntimeException e) {
            Semaphores.close(ready, readyName);
            throw e;
        }
    }

    /**
     * Unlinks the pair if it is there (left by a listener that died, with counts that would fake
     * acknowledgements) and makes it afresh, with value 0 and exactly {@code mode}, as a listener
     * does once its socket is bound.
     */
    static AckSemaphores sweepAndCreate(String readyName, String ackedName, int mode) throws IOException {
        MemorySegment ready = fresh(readyName, mode);
        try {
            return new AckSemaphores(readyName, ackedName, ready, fresh(ackedName, mode));
        } catch (IOException | RuntimeException e) {
            Semaphores.close(ready, readyName);
            Semaphores.unlink(readyName);
            throw e;
        }
    }

    private static MemorySegment fresh(String name, int mode) throws IOException {
        Semaphores.unlink(name);
        MemorySegment sem = Semaphores.open(name, PosixFiles.O_EXCL, mode);
        // sem_open applies the umask; the mode asked for is what the endpoint promises.
        Path file = Path.of("/dev/shm", "sem." + name.substring(1));
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(modeString(mode)));
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            // Not Linux's /dev/shm layout: the umask's mode stands.
        }
        return sem;
    }

    String ackedName() {
        return ackedName;
    }

    /** @return whether a new holder was added; false once closed */
    boolean retain() {
        guard.writeLock().lock();
        try {
            if (closed) {
                return false;
            }
            holders++;
            return true;
        } finally {
            guard.writeLock().unlock();
        }
    }

    /** Gives up one holder's share; the last closes the semaphores. Waits for a wait's slice to end. */
    void release() throws IOException {
        guard.writeLock().lock();
        try {
            if (closed || --holders > 0) {
                return;
            }
            closed = true;
            try {
                Semaphores.close(ready, readyName);
            } finally {
                Semaphores.close(acked, ackedName);
            }
        } finally {
            guard.writeLock().unlock();
        }
    }

    /** Removes the names, so the next listener or client makes new semaphores; open ones still work. */
    void unlink() throws IOException {
        try {
            Semaphores.unlink(readyName);
        } finally {
            Semaphores.unlink(ackedName);
        }
    }

    void postReady() throws IOException {
        post(ready, readyName);
    }

    void postAcked() throws IOException {
        post(acked, ackedName);
    }

    /** @return whether it took one from {@code data_ready}; never blocks */
    boolean tryTakeReady() throws IOException {
        guard.readLock().lock();
        try {
            return !closed && Semaphores.tryWait(ready, readyName);
        } finally {
            guard.readLock().unlock();
        }
    }

    /**
     * Takes one from {@code data_acked}, waiting at most {@code nanos} (one slice: the caller
     * loops): in the kernel on a platform thread, not at all on a virtual thread, which must not
     * hold its carrier and parks between tries instead.
     *
     * @return whether it took one; false if none came, a signal came, or the pair is closed
     */
    boolean takeAcked(long nanos) throws IOException {
        guard.readLock().lock();
        try {
            if (closed) {
                return false;
            }
            if (nanos <= 0 || Thread.currentThread().isVirtual()) {
                return Semaphores.tryWait(acked, ackedName);
            }
            return Semaphores.await(acked, nanos, ackedName);
        } finally {
            guard.readLock().unlock();
        }
    }

    /** @return {@code data_acked}'s value now: acknowledgements posted and not yet taken; 0 once closed */
    int ackedValue() throws IOException {
        guard.readLock().lock();
        try {
            return closed ? 0 : Semaphores.value(acked, ackedName);
        } finally {
            guard.readLock().unlock();
        }
    }

    private void post(MemorySegment sem, String name) throws IOException {
        guard.readLock().lock();
        try {
            if (!closed) {
                Semaphores.post(sem, name);
            }
        } finally {
            guard.readLock().unlock();
        }
    }
}
