package dev.conduit.queue;

import dev.conduit.ConnectionClosedException;
import dev.conduit.internal.mq.SysvQueue;
import dev.conduit.internal.posix.SysV;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;

/**
 * A System V message queue ({@code msgget}, {@code msgsnd}, {@code msgrcv}, {@code msgctl}):
 * a kernel object, named by a 32-bit key, that holds typed messages until someone takes them.
 * Any process with the key and permission may send and receive, C and Python
 * ({@code sysv_ipc}) included. The queue outlives the processes that use it until
 * {@link #remove()}.
 *
 * <p>Every message has a type, a positive {@code long}. A receive takes the first message its
 * <em>selector</em> matches, exactly as {@code msgrcv} does:
 * <table>
 * <caption>Selectors</caption>
 * <tr><th>selector</th><th>takes</th></tr>
 * <tr><td>{@code 0}</td><td>the first message in the queue</td></tr>
 * <tr><td>{@code > 0}</td><td>the first message of that type</td></tr>
 * <tr><td>{@code < 0}</td><td>the first message of the lowest type {@code <= |selector|}
 *     (priorities: smaller types first)</td></tr>
 * </table>
 *
 * <p>Thread-safe: any number of threads may send and receive at once, with different selectors.
 * Blocking calls wait in the kernel, not by polling; {@link #close()} from another thread ends
 * them, and so does {@link #remove()} by any process. A blocking call is not ended by
 * {@link Thread#interrupt()}; a thread interrupted before a blocking receive gets
 * {@link InterruptedIOException}. On a virtual thread a blocking call holds its carrier thread
 * for as long as it waits, as every blocking native call does: wait on platform threads, or
 * use {@link #tryReceive} and {@link #trySend}.
 *
 * <p>Linux only (x86-64, AArch64). Limits come from the kernel: {@code /proc/sys/kernel/msgmax}
 * (longest message), {@code msgmnb} (default capacity of a new queue, see {@link Stat}),
 * {@code msgmni} (queues in the system).
 */
public final class MessageQueue implements AutoCloseable {
    /** The key that makes a new queue every time, reachable only through its id. */
    public static final int PRIVATE = SysV.IPC_PRIVATE;

    private final SysvQueue queue;

    private MessageQueue(SysvQueue queue) {
        this.queue = queue;
    }

    /**
     * How {@link #open} finds or makes the queue.
     *
     * @param create      make the queue if no queue has the key
     * @param exclusive   fail if a queue has the key (with {@code create})
     * @param permissions the permission bits of a new queue, {@code 0} to {@code 0777}
     */
    public record Options(boolean create, boolean exclusive, int permissions) {
        /** Create if absent, owner read and write ({@code 0600}). */
        public static final Options DEFAULT = new Options(true, false, 0600);

        /**
         * Checks the options.
         *
         * @throws IllegalArgumentException if permissions are outside 0-0777, or exclusive without
         *                                  create
         */
        public Options {
            if (permissions < 0 || permissions > 0777) {
                throw new IllegalArgumentException("permissions: 0" + Integer.toOctalString(permissions)
                        + " (expected: 0 to 0777)");
            }
            if (exclusive && !create) {
                throw new IllegalArgumentException("exclusive without create: exclusive means create a new queue");
            }
        }

        /**
         * These options, set to make a new queue only.
         *
         * @return options that create the queue and fail if it exists
         *         ({@code IPC_CREAT | IPC_EXCL}), with the same permissions
         */
        public Options withExclusive() {
            return new Options(true, true, permissions);
        }

        /**
         * These options, set to open an existing queue only.
         *
         * @return options that never create: the queue must exist; same permissions
         */
        public Options withExisting() {
            return new Options(false, false, permissions);
        }

        /**
         * These options with other permission bits for a new queue.
         *
         * @param mode the permission bits, {@code 0} to {@code 0777}, e.g. {@code 0660}
         * @return these options with {@code mode} in place of their permissions
         * @throws IllegalArgumentException if {@code mode} is outside 0-0777
         */
        public Options withPermissions(int mode) {
            return new Options(create, exclusive, mode);
        }

        int flags() {
            return (create ? SysV.IPC_CREAT : 0) | (exclusive ? SysV.IPC_EXCL : 0) | permissions;
        }
    }

    /**
     * A received message.
     *
     * @param type    its type, {@code > 0}
     * @param payload its bytes, the caller's to keep
     */
    public record Message(long type, byte[] payload) {
        /**
         * Makes a message; {@code payload} is kept, not copied.
         *
         * @throws NullPointerException if payload is null
         */
        public Message {
            Objects.requireNonNull(payload, "payload");
        }
    }

    /**
     * The queue's state, as {@code IPC_STAT} reports it.
     *
     * @param messages    messages in the queue
     * @param bytes       payload bytes in the queue
     * @param capacity    the most payload bytes it holds ({@code msg_qbytes}; a send waits beyond it)
     * @param permissions its permission bits
     * @param ownerUid    its owner's user id
     * @param lastSendPid the process that sent last, 0 if none
     * @param lastReceivePid the process that received last, 0 if none
     */
    public record Stat(long messages, long bytes, long capacity, int permissions, int ownerUid, int lastSendPid,
                       int lastReceivePid) {
    }

    /**
     * Opens the queue with {@code key}, making it as {@code options} say. Never blocks.
     *
     * @param key     the key ({@code ftok}-style 32-bit number), or {@link #PRIVATE} for a new
     *                queue that only its id reaches
     * @param options creation and permissions
     * @return the open queue
     * @throws IOException naming the key and {@code msgget}'s error: the queue exists (exclusive),
     *                     does not exist (not creating), no permission, too many queues
     * @throws dev.conduit.TransportUnavailableException if this system lacks System V queues as
     *                     Conduit uses them (it is an {@code IOException})
     */
    public static MessageQueue open(int key, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        return new MessageQueue(SysvQueue.open(nameOf(key), key, key == PRIVATE ? options.permissions()
                | SysV.IPC_CREAT : options.flags()));
    }

    /**
     * As {@link #open(int, Options)} with {@link Options#DEFAULT}: create if absent, mode 0600.
     * Never blocks.
     *
     * @param key the key, or {@link #PRIVATE} for a new queue that only its id reaches
     * @return the open queue
     * @throws IOException as {@link #open(int, Options)}
     */
    public static MessageQueue open(int key) throws IOException {
        return open(key, Options.DEFAULT);
    }

    private static String nameOf(int key) {
        return key == PRIVATE ? "mq:private" : "mq:0x" + Integer.toHexString(key);
    }

    /**
     * The key this handle was opened with. Never blocks; works after {@link #close()} too.
     *
     * @return the key ({@link #PRIVATE} for a private queue)
     */
    public int key() {
        return queue.key();
    }

    /**
     * The kernel's id of the queue, which reaches it even when it was made with {@link #PRIVATE}.
     * Never blocks; works after {@link #close()} too.
     *
     * @return the id, as {@code ipcs -q} lists it
     */
    public int id() {
        return queue.id();
    }

    /**
     * The longest payload this handle sends or receives. Never blocks.
     *
     * @return the longest payload, in bytes: the kernel's {@code msgmax} when the queue was opened
     */
    public int maxMessageSize() {
        return queue.msgmax();
    }

    /**
     * Sends one message, waiting while the queue is full (its bytes or its message count at
     * capacity). Any thread.
     *
     * @param type    the message's type, {@code > 0}
     * @param payload the bytes, at most {@link #maxMessageSize()}; not kept
     * @throws IllegalArgumentException  if type is not positive or payload exceeds msgmax (both numbers named)
     * @throws ConnectionClosedException if this handle is closed (before or while waiting) or the queue removed
     * @throws IOException               for other failures, with errno
     */
    public void send(long type, byte[] payload) throws IOException {
        queue.send("send", type, payload, 0, payload.length, true);
    }

    /**
     * Sends one message if the queue has room now ({@code IPC_NOWAIT}). Never blocks. Any thread.
     *
     * @param type    the message's type, {@code > 0}
     * @param payload the bytes, at most {@link #maxMessageSize()}; not kept
     * @return {@code true} if sent, {@code false} if the queue is full (nothing was sent)
     * @throws IllegalArgumentException  as {@link #send}
     * @throws ConnectionClosedException if this handle is closed or the queue removed
     * @throws IOException               for other failures, with errno
     */
    public boolean trySend(long type, byte[] payload) throws IOException {
        return queue.send("trySend", type, payload, 0, payload.length, false);
    }

    /**
     * Takes the first message {@code selector} matches (see the class comment), waiting for one.
     * Any thread.
     *
     * @param selector which message to take: {@code 0} the first, {@code > 0} the first of that
     *                 type, {@code < 0} the first of the lowest type {@code <= |selector|}
     * @return the message, never {@code null}
     * @throws ConnectionClosedException if this handle is closed (before or while waiting) or the
     *                                   queue removed ({@code EIDRM})
     * @throws InterruptedIOException    if the thread was interrupted before the call
     * @throws IOException               for other failures, with errno
     */
    public Message receive(long selector) throws IOException {
        return queue.receive("receive", selector, -1, MessageQueue::message);
    }

    /**
     * As {@link #receive(long)}, waiting at most {@code timeout}.
     *
     * @param selector which message to take, as for {@link #receive(long)}
     * @param timeout  how long to wait; zero or negative means no wait
     * @return the message, or {@code null} if none matched in time
     * @throws IOException as {@link #receive(long)}
     */
    public Message receive(long selector, Duration timeout) throws IOException {
        long nanos = timeout.isNegative() || timeout.isZero() ? 0 : saturatedNanos(timeout);
        return queue.receive("receive", selector, nanos, MessageQueue::message);
    }

    /**
     * As {@link #receive(long)} without waiting ({@code IPC_NOWAIT}). Never blocks.
     *
     * @param selector which message to take, as for {@link #receive(long)}
     * @return the message, or {@code null} if none matches now
     * @throws IOException as {@link #receive(long)}
     */
    public Message tryReceive(long selector) throws IOException {
        return queue.receive("tryReceive", selector, 0, MessageQueue::message);
    }

    private static Message message(long type, MemorySegment buffer, int length) {
        byte[] payload = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, Long.BYTES, payload, 0, length);
        return new Message(type, payload);
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Reads the queue's state ({@code IPC_STAT}). Never blocks.
     *
     * @return counts, capacity and permissions as of now
     * @throws ConnectionClosedException if this handle is closed or the queue removed
     * @throws IOException               for other failures (no read permission), with errno
     */
    public Stat stat() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ds = queue.stat("stat", arena);
            return new Stat(ds.get(ValueLayout.JAVA_LONG, SysV.MSQID_QNUM), ds.get(ValueLayout.JAVA_LONG,
                    SysV.MSQID_CBYTES), ds.get(ValueLayout.JAVA_LONG, SysV.MSQID_QBYTES),
                    ds.get(ValueLayout.JAVA_INT, SysV.MSQID_MODE) & 0777, ds.get(ValueLayout.JAVA_INT,
                    SysV.MSQID_UID), ds.get(ValueLayout.JAVA_INT, SysV.MSQID_LSPID),
                    ds.get(ValueLayout.JAVA_INT, SysV.MSQID_LRPID));
        }
    }

    /**
     * Sets the most payload bytes the queue holds ({@code IPC_SET} of {@code msg_qbytes}). Raising
     * it above {@code /proc/sys/kernel/msgmnb} needs {@code CAP_SYS_RESOURCE}. Never blocks.
     *
     * @param bytes the new capacity in payload bytes, as the kernel's {@code msg_qbytes} takes it
     * @throws IOException naming the queue and errno ({@code EPERM}: not allowed)
     */
    public void setCapacity(long bytes) throws IOException {
        queue.setCapacity("setCapacity", bytes);
    }

    /**
     * Removes the queue from the system ({@code IPC_RMID}): messages in it are lost, and calls
     * blocked on it, in every process, end ({@link ConnectionClosedException} here). Only the
     * owner, the creator or a privileged process may. Never blocks. This handle stays open, but
     * its calls fail.
     *
     * @throws IOException naming the queue and errno ({@code EPERM}, or already removed)
     */
    public void remove() throws IOException {
        queue.remove("remove");
    }

    /**
     * Closes this handle, not the queue: calls blocked in other threads end with
     * {@link ConnectionClosedException} soon after (within milliseconds), and later calls throw
     * it. Idempotent; never blocks; any thread.
     */
    @Override
    public void close() {
        queue.close();
    }

    @Override
    public String toString() {
        return "MessageQueue[" + queue.name() + ", id " + queue.id() + (queue.isClosed() ? ", closed]" : "]");
    }
}
