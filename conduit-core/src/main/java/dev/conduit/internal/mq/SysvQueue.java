package dev.conduit.internal.mq;

import dev.conduit.ConnectionClosedException;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.Payloads;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.internal.posix.SysV;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One opened System V message queue: the calls of {@code dev.conduit.queue.MessageQueue} and of
 * the {@code mq:} endpoints. Thread-safe: each call takes a {@link Slot} (buffer and wake-up
 * state) from a small pool, so concurrent calls never share a buffer and one thread's calls
 * allocate no native memory after its first.
 *
 * <p>Blocking calls wait in the kernel ({@code msgrcv}/{@code msgsnd} without
 * {@code IPC_NOWAIT}); {@link Wakeups} ends them at their deadline or when {@link #close()} is
 * called. {@code MSG_NOERROR} is never used: a message longer than the buffer stays queued and
 * the receive fails, naming both lengths.
 */
public final class SysvQueue implements AutoCloseable {
    /** Where Linux publishes the largest message it accepts. */
    public static final Path MSGMAX_FILE = Path.of("/proc/sys/kernel/msgmax");
    private static final long MTYPE_BYTES = Long.BYTES;
    /** A wait this long (over a century) is a wait without a deadline, which nanoTime cannot hold. */
    private static final long FOREVER_NANOS = Long.MAX_VALUE / 4;

    private final String name;
    private final int key;
    private final int id;
    private final int msgmax;
    private final boolean created;
    private volatile boolean closed;
    /** The last slot given back: a single thread takes and gives it back without a lock. */
    private final AtomicReference<Slot> cached = new AtomicReference<>();
    /** Further free slots, for concurrent calls; guarded by itself. */
    private final List<Slot> free = new ArrayList<>();
    /** Every slot made, so {@link #close()} can wake their blocked threads; guarded by itself. */
    private final List<Slot> all = new ArrayList<>();

    private SysvQueue(String name, int key, int id, int msgmax, boolean created) {
        this.name = name;
        this.key = key;
        this.id = id;
        this.msgmax = msgmax;
        this.created = created;
    }

    /**
     * Opens (and, as {@code flags} say, creates) the queue with {@code key}. Never blocks.
     *
     * @param name  how messages name it, e.g. {@code mq:0x2a}
     * @param key   the key, or {@link SysV#IPC_PRIVATE} for a new queue no other key reaches
     * @param flags {@link SysV#IPC_CREAT}, {@link SysV#IPC_EXCL} and the permission bits
     * @throws TransportUnavailableException if this system lacks System V queues as Conduit uses
     *                     them, or blocked calls could not be ended on this JVM
     * @throws IOException naming the queue and the {@code msgget} failure
     */
    public static SysvQueue open(String name, int key, int flags) throws IOException {
        checkAvailable(name);
        int msgmax = kernelMsgmax();
        try {
            return new SysvQueue(name, key, SysV.msgget(key, flags), msgmax, false);
        } catch (ErrnoException e) {
            throw openFailure(name, e);
        }
    }

    /**
     * Opens the queue with {@code key}, making it with {@code mode} if there is none, and says
     * which happened ({@link #created()}): the one that made a queue may remove it. Never blocks.
     *
     * @param name   how messages name it, e.g. {@code mq:0x2a}
     * @param access the permission this process needs on a queue it finds: {@code 0400} to
     *               receive, {@code 0200} to send
     * @throws IOException as {@link #open}
     */
    public static SysvQueue openOrCreate(String name, int key, int mode, int access) throws IOException {
        checkAvailable(name);
        int msgmax = kernelMsgmax();
        while (true) {
            try {
                return new SysvQueue(name, key, SysV.msgget(key, SysV.IPC_CREAT | SysV.IPC_EXCL | mode), msgmax, true);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw openFailure(name, e);
                }
            }
            try {
                return new SysvQueue(name, key, SysV.msgget(key, access), msgmax, false);
            } catch (ErrnoException e) {
                // Removed between the two calls: make it after all.
                if (e.errno() != Errno.ENOENT) {
                    throw openFailure(name, e);
                }
            }
        }
    }

    private static void checkAvailable(String name) throws TransportUnavailableException {
        Optional<String> why = SysV.unavailability().or(Wakeups::problem);
        if (why.isPresent()) {
            throw new TransportUnavailableException(name + ": open: System V queues are not available: " + why.get());
        }
    }

    private static IOException openFailure(String name, ErrnoException e) {
        return new IOException(name + ": open: " + e.getMessage() + switch (e.errno()) {
            case Errno.EEXIST -> " (the queue exists and exclusive creation was asked)";
            case Errno.ENOENT -> " (no queue has this key, and creation was not asked)";
            case Errno.EACCES -> " (its permissions do not let this user read and write it)";
            case Errno.ENOSPC -> " (the system's limit of queues is reached: /proc/sys/kernel/msgmni)";
            default -> "";
        }, e);
    }

    /**
     * @return the kernel's largest message, from {@link #MSGMAX_FILE}
     * @throws IOException if the file cannot be read
     */
    public static int kernelMsgmax() throws IOException {
        // Files.readString trusts the size procfs reports and returns only the first byte here.
        String text = Files.readAllLines(MSGMAX_FILE).getFirst().strip();
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IOException(MSGMAX_FILE + " holds '" + text + "', not a number", e);
        }
    }

    /** @return how messages name this queue */
    public String name() {
        return name;
    }

    /** @return the key it was opened with */
    public int key() {
        return key;
    }

    /** @return the kernel's id for it */
    public int id() {
        return id;
    }

    /** @return the longest message, in bytes: {@code msgmax} when the queue was opened */
    public int msgmax() {
        return msgmax;
    }

    /** @return whether this handle made the queue ({@link #openOrCreate}) */
    public boolean created() {
        return created;
    }

    /** @return whether {@link #close()} was called */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Sends {@code length} bytes of {@code source} from {@code offset} as one message.
     *
     * @param source the message's holder, as {@link Payloads} takes it
     * @param wait   whether to wait while the queue is full
     * @return whether it was sent: {@code false} only when full and not waiting
     * @throws IllegalArgumentException if the type is not positive or the message exceeds msgmax
     * @throws ConnectionClosedException if closed locally, before or while waiting, or the queue was removed
     * @throws IOException for other failures, naming the queue and errno
     */
    public boolean send(String call, long type, Object source, int offset, long length, boolean wait)
            throws IOException {
        checkType(call, type);
        if (length > msgmax) {
            throw new IllegalArgumentException(name + ": " + call + ": message of " + length
                    + " bytes exceeds the kernel's msgmax of " + msgmax + " bytes (" + MSGMAX_FILE + ")");
        }
        Slot slot = take();
        try {
            slot.buffer.set(ValueLayout.JAVA_LONG, 0, type);
            Payloads.copy(source, offset, 0, slot.buffer, slot.view, MTYPE_BYTES, length);
            if (!wait) {
                checkOpen(call);
                int errno = SysV.msgsnd(slot.state, id, slot.buffer, length, SysV.IPC_NOWAIT);
                return errno == 0 || failed(call, errno, length, true);
            }
            slot.enter(Slot.NEVER);
            try {
                while (true) {
                    checkOpen(call);
                    int errno = SysV.msgsnd(slot.state, id, slot.buffer, length, 0);
                    if (errno == 0 || (errno != Errno.EINTR && failed(call, errno, length, false))) {
                        return true;
                    }
                }
            } finally {
                slot.leave();
            }
        } finally {
            give(slot);
        }
    }

    /** Throws for any failure but {@code EAGAIN} (full: returns false). */
    private boolean failed(String call, int errno, long length, boolean noWait) throws IOException {
        if (errno == Errno.EAGAIN && noWait) {
            return false;
        }
        throw failure(call, "msgsnd(" + id + ", " + length + " bytes" + (noWait ? ", IPC_NOWAIT)" : ")"), errno);
    }

    /** How a received message is handed on, while its bytes are in the slot's buffer. */
    @FunctionalInterface
    public interface Taker<T> {
        /**
         * @param type    the message's type
         * @param message the buffer, whose payload starts at byte {@link Long#BYTES}
         * @param length  the payload's length
         */
        T take(long type, MemorySegment message, int length);
    }

    /**
     * Receives the first message that {@code selector} matches, as the kernel matches it.
     *
     * @param waitNanos 0 for no wait, negative for no limit, else the most to wait
     * @return what {@code taker} made of it, or {@code null} if none came in time
     */
    public <T> T receive(String call, long selector, long waitNanos, Taker<T> taker) throws IOException {
        Slot slot = take();
        try {
            long length = receiveInto(slot, call, selector, waitNanos);
            return length < 0 ? null : taker.take(slot.buffer.get(ValueLayout.JAVA_LONG, 0), slot.buffer,
                    (int) length);
        } finally {
            give(slot);
        }
    }

    /**
     * As {@link #receive}, into a slot the caller keeps (from {@link #newSlot()}), for a receiver
     * that hands out views of its buffer.
     *
     * @return the payload's length, or -1 if none came in time
     */
    public long receiveInto(Slot slot, String call, long selector, long waitNanos) throws IOException {
        checkOpen(call);
        if (waitNanos == 0) {
            long rc = SysV.msgrcv(slot.state, id, slot.buffer, msgmax, selector, SysV.IPC_NOWAIT);
            return rc >= 0 ? rc : rc == -Errno.ENOMSG ? -1 : receiveFailed(call, selector, (int) -rc);
        }
        boolean timed = waitNanos > 0 && waitNanos < FOREVER_NANOS;
        long deadline = timed ? System.nanoTime() + waitNanos : Slot.NEVER;
        slot.enter(deadline);
        try {
            while (true) {
                checkOpen(call);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(name + ": " + call + ": interrupted");
                }
                if (timed && System.nanoTime() - deadline >= 0) {
                    return -1;
                }
                long rc = SysV.msgrcv(slot.state, id, slot.buffer, msgmax, selector, 0);
                if (rc >= 0) {
                    return rc;
                }
                if (rc != -Errno.EINTR) {
                    return receiveFailed(call, selector, (int) -rc);
                }
            }
        } finally {
            slot.leave();
        }
    }

    private long receiveFailed(String call, long selector, int errno) throws IOException {
        if (errno == Errno.E2BIG) {
            throw new IOException(name + ": " + call + ": the next message of type selector " + selector
                    + " is longer than msgmax " + msgmax + " bytes read when the queue was opened (msgmax was"
                    + " raised since; it stays queued: reopen the queue to take it)");
        }
        throw failure(call, "msgrcv(" + id + ", " + msgmax + " bytes, type " + selector + ")", errno);
    }

    private IOException failure(String call, String native_, int errno) {
        if (closed) {
            // Closing this handle may remove the queue under a blocked call: that is the close.
            return new ConnectionClosedException(name + ": " + call + ": closed locally");
        }
        if (errno == Errno.EIDRM || errno == Errno.EINVAL) {
            return new ConnectionClosedException(name + ": " + call + ": the queue was removed ("
                    + Errno.exception(native_, errno).getMessage() + ")");
        }
        return new IOException(name + ": " + call + ": " + Errno.exception(native_, errno).getMessage());
    }

    /** @return a slot for {@link #receiveInto}, kept by the caller */
    public Slot newSlot() {
        Slot slot = new Slot(msgmax);
        synchronized (all) {
            all.add(slot);
        }
        Wakeups.register(slot);
        // A slot made as close runs is one close did not see: retired here instead.
        slot.retired = closed;
        return slot;
    }

    private Slot take() {
        Slot slot = cached.getAndSet(null);
        if (slot != null) {
            return slot;
        }
        synchronized (free) {
            if (!free.isEmpty()) {
                return free.removeLast();
            }
        }
        return newSlot();
    }

    private void give(Slot slot) {
        if (!cached.compareAndSet(null, slot)) {
            synchronized (free) {
                free.add(slot);
            }
        }
    }

    private void checkOpen(String call) throws ConnectionClosedException {
        if (closed) {
            throw new ConnectionClosedException(name + ": " + call + ": closed locally");
        }
    }

    private static void checkType(String call, long type) {
        if (type <= 0) {
            throw new IllegalArgumentException("message type: " + type + " (expected: > 0), in " + call);
        }
    }

    /**
     * Reads the queue's state ({@code IPC_STAT}). Never blocks.
     *
     * @return a {@link SysV#MSQID_DS_BYTES} segment of {@code arena}
     */
    public MemorySegment stat(String call, Arena arena) throws IOException {
        checkOpen(call);
        MemorySegment ds = arena.allocate(SysV.MSQID_DS_BYTES, 8);
        try {
            SysV.msgctl(id, SysV.IPC_STAT, ds);
        } catch (ErrnoException e) {
            throw failure(call, "msgctl(" + id + ", IPC_STAT)", e.errno());
        }
        return ds;
    }

    /** Sets the most bytes the queue holds ({@code IPC_SET} of {@code msg_qbytes}). Never blocks. */
    public void setCapacity(String call, long bytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ds = stat(call, arena);
            ds.set(ValueLayout.JAVA_LONG, SysV.MSQID_QBYTES, bytes);
            SysV.msgctl(id, SysV.IPC_SET, ds);
        } catch (ErrnoException e) {
            throw new IOException(name + ": " + call + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the queue from the system ({@code IPC_RMID}): its messages are lost, and every call
     * blocked on it, in any process, ends. Never blocks.
     */
    public void remove(String call) throws IOException {
        checkOpen(call);
        try {
            SysV.msgctl(id, SysV.IPC_RMID, MemorySegment.NULL);
        } catch (ErrnoException e) {
            throw failure(call, "msgctl(" + id + ", IPC_RMID)", e.errno());
        }
    }

    /**
     * Ends this handle, as {@link #close()}, and removes the queue: calls blocked on it in other
     * processes end. Never blocks.
     *
     * @throws IOException naming the queue and errno, if the queue could not be removed
     */
    public void closeAndRemove() throws IOException {
        close();
        try {
            SysV.msgctl(id, SysV.IPC_RMID, MemorySegment.NULL);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EIDRM && e.errno() != Errno.EINVAL) {
                throw new IOException(name + ": close: " + e.getMessage(), e);
            }
        }
    }

    /** Ends this handle: blocked calls end with {@link ConnectionClosedException}; the queue stays. */
    @Override
    public void close() {
        closed = true;
        List<Slot> slots;
        synchronized (all) {
            slots = List.copyOf(all);
        }
        for (Slot slot : slots) {
            slot.retired = true;
            Wakeups.now(slot);
        }
    }
}
