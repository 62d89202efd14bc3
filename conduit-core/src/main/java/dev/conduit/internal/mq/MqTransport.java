package dev.conduit.internal.mq;

import dev.conduit.Endpoint;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Backoff;
import dev.conduit.internal.OneWayTransport;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.internal.posix.SysV;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code mq:KEY}: one-way messages through a System V message queue, one kernel message per
 * Conduit message, so C ({@code msgsnd}/{@code msgrcv}) and Python ({@code sysv_ipc}) programs
 * share it as it is. KEY is the queue's key, decimal or {@code 0x} hexadecimal, not 0.
 *
 * <p>{@code openReceiver} makes the queue if there is none (mode {@code ?mode=}, 0600 by
 * default) and removes it on close if it made it, unless {@code ?keep=true}: a sender then
 * finds its queue gone ({@link dev.conduit.ConnectionClosedException}), as a FIFO's writer finds
 * its reader gone. {@code openSender} needs the queue to exist, or waits for it up to its time-out;
 * with {@code ?create=true} it makes it instead (and never removes it).
 *
 * <p>{@code ?type=N}: the sender's message type ({@code > 0}, 1 by default); the receiver's
 * selector, as {@code msgrcv} reads it ({@code 0}, the default: any message; {@code > 0}: that
 * type; {@code < 0}: the lowest type up to |N| first). The longest message is the kernel's
 * {@code msgmax}, and no more than the queue holds ({@code msg_qbytes}); {@code maxFrame} may
 * lower it. A sender closing ends nothing: the queue outlives its senders.
 */
public final class MqTransport implements OneWayTransport {
    /** The sender's message type, or the receiver's selector. */
    public static final String TYPE = "type";
    /** Permission bits of a queue made by this end, octal. */
    public static final String MODE = "mode";
    /** {@code true}: a receiver leaves the queue it made when it closes. */
    public static final String KEEP = "keep";
    /** {@code true}: a sender makes the queue if there is none. */
    public static final String CREATE = "create";
    private static final int READ = 0400;
    private static final int WRITE = 0200;
    /** The first park of a virtual thread waiting on a queue; {@link #nextPark} doubles it. */
    static final long FIRST_PARK_NANOS = 10_000;

    @Override
    public Set<String> schemes() {
        return Set.of("mq");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Options.SPIN, TYPE, MODE, KEEP, CREATE);
    }

    /** {@inheritDoc} Never blocks. */
    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        int key = key(endpoint);
        long selector = longOption(endpoint, TYPE, 0);
        boolean keep = Options.flag(endpoint, KEEP, false);
        Options.refuse(endpoint, CREATE, "a sender's");
        SysvQueue queue = SysvQueue.openOrCreate(endpoint.toString(), key, Options.mode(endpoint, MODE, 0600), READ);
        try {
            return new MqReceiver(endpoint, queue, maxFrame(endpoint, queue), selector, keep);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(queue, keep);
            throw e;
        }
    }

    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        int key = key(endpoint);
        long type = longOption(endpoint, TYPE, 1);
        if (type <= 0) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + TYPE + "=" + type
                    + " (a sender's message type must be > 0)");
        }
        Options.refuse(endpoint, KEEP, "a receiver's");
        boolean create = Options.flag(endpoint, CREATE, false);
        if (!create && endpoint.option(MODE).isPresent()) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': mode is for a queue this end makes:"
                    + " add create=true");
        }
        SysvQueue queue = create
                ? SysvQueue.openOrCreate(endpoint.toString(), key, Options.mode(endpoint, MODE, 0600), WRITE)
                : openExisting(endpoint, key, timeout);
        try {
            return new MqSender(endpoint, queue, maxFrame(endpoint, queue), type);
        } catch (IOException | RuntimeException e) {
            queue.close();
            throw e;
        }
    }

    private static SysvQueue openExisting(Endpoint endpoint, int key, Duration timeout) throws IOException {
        long waitNanos = AbstractConnection.toWaitNanos(timeout);
        Backoff backoff = new Backoff(waitNanos);
        while (true) {
            try {
                return SysvQueue.open(endpoint.toString(), key, WRITE);
            } catch (IOException e) {
                if (!(e.getCause() instanceof ErrnoException errno) || errno.errno() != Errno.ENOENT) {
                    throw e;
                }
                if (!backoff.pause(endpoint + ": openSender, waiting for the queue,")) {
                    throw new IOException(endpoint + ": openSender: no queue has key 0x" + Integer.toHexString(key)
                            + (waitNanos > 0 ? " (waited " + AbstractConnection.text(timeout) + ")" : "")
                            + "; a receiver makes it when it opens (Conduit.openReceiver), or add create=true,"
                            + " or pass a time-out to openSender to wait for one", e);
                }
            }
        }
    }

    private static void closeAfterFailure(SysvQueue queue, boolean keep) {
        try {
            if (queue.created() && !keep) {
                queue.closeAndRemove();
            } else {
                queue.close();
            }
        } catch (IOException suppressed) {
            // The failure that brought us here is the one to report.
        }
    }

    /**
     * @return the longest message: the kernel's {@code msgmax}, at most what the queue holds
     *         (a longer message would wait for room for ever), lowered by {@code maxFrame}
     * @throws IllegalArgumentException if {@code maxFrame} asks for more
     */
    private static int maxFrame(Endpoint endpoint, SysvQueue queue) throws IOException {
        long capacity;
        try (Arena arena = Arena.ofConfined()) {
            capacity = queue.stat("open", arena).get(ValueLayout.JAVA_LONG, SysV.MSQID_QBYTES);
        }
        int limit = (int) Math.min(queue.msgmax(), capacity);
        if (endpoint.option(Options.MAX_FRAME).isEmpty()) {
            return limit;
        }
        int asked = Options.maxFrame(endpoint);
        if (asked > limit) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': maxFrame=" + asked + " is more than a"
                    + " message on this queue may hold: " + limit + " bytes (the kernel's msgmax is " + queue.msgmax()
                    + ", " + SysvQueue.MSGMAX_FILE + "; the queue holds " + capacity + " bytes)");
        }
        return asked;
    }

    /** @return the key in the endpoint's address: decimal, or hexadecimal after {@code 0x} */
    static int key(Endpoint endpoint) {
        String text = endpoint.address();
        int key;
        try {
            key = text.startsWith("0x") || text.startsWith("0X") ? Integer.parseUnsignedInt(text.substring(2), 16)
                    : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': expected mq:KEY with KEY a number, decimal"
                    + " or hexadecimal as 0x2a (what ftok returns, or ipcs -q lists); got '" + text + "'", e);
        }
        if (key == SysV.IPC_PRIVATE) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': key 0 is IPC_PRIVATE, which no other"
                    + " process can open; pick another key, or use dev.conduit.queue.MessageQueue for a private queue");
        }
        return key;
    }

    private static long longOption(Endpoint endpoint, String name, long defaultValue) {
        String text = endpoint.option(name).orElse(null);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': " + name + "=" + text
                    + " (expected a whole number, e.g. 1)", e);
        }
    }

    /** How long a virtual thread parks between looks at the queue: from 10 µs, doubling to 1 ms. */
    static long nextPark(long park) {
        return Math.min(park * 2, TimeUnit.MILLISECONDS.toNanos(1));
    }
}
