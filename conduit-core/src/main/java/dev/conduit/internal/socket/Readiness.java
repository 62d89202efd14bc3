package dev.conduit.internal.socket;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Waits for a non-blocking {@link SocketChannel} to become readable or writable: one
 * {@link Selector} per direction, made on first need, so that a receiver and a sender never
 * wait on the same one. One thread at a time may wait for each direction. {@link #close()}
 * wakes both and makes every later wait fail as closed.
 */
public final class Readiness {
    /** Selecting with an action adds nothing to the selected-key set, so a wake-up allocates nothing. */
    private static final Consumer<SelectionKey> IGNORE_KEY = key -> { };

    private final SocketChannel channel;
    private final String name;
    private final BooleanSupplier closedLocally;
    private final Function<String, IOException> closed;
    private volatile Selector readSelector;
    private volatile Selector writeSelector;
    private volatile boolean shut;

    /**
     * @param channel the channel, already non-blocking
     * @param name    how messages name its connection
     * @param closedLocally whether the connection was closed locally: waits end once it says so
     * @param closed  the exception for a call (its name given) that finds it closed locally
     */
    public Readiness(SocketChannel channel, String name, BooleanSupplier closedLocally,
            Function<String, IOException> closed) {
        this.channel = channel;
        this.name = name;
        this.closedLocally = closedLocally;
        this.closed = closed;
    }

    /**
     * Looks, without sleeping, whether the channel is readable until {@code untilNanos} (a
     * {@link System#nanoTime()} value), so that bytes coming within that time cost no scheduler
     * wake-up. Polls readiness rather than reading: a read of an empty socket takes the lock
     * the peer's write needs, and slows a busy stream down. A virtual thread yields between
     * looks, so its carrier runs whatever other virtual threads are ready instead of holding it.
     *
     * @param call the API call, for messages
     * @return whether it became readable (or reached its end); {@code false} once time is up or
     *         the channel closed locally
     * @throws IOException {@code closed} for {@code call} if the channel closed locally
     */
    public boolean spinUntilReadable(long untilNanos, String call) throws IOException {
        Selector selector = selector(SelectionKey.OP_READ, call);
        boolean virtual = Thread.currentThread().isVirtual();
        do {
            try {
                if (selector.selectNow(IGNORE_KEY) > 0) {
                    return true;
                }
            } catch (ClosedSelectorException e) {
                throw closed.apply(call);
            }
            if (virtual) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        } while (System.nanoTime() - untilNanos < 0 && !isShut());
        return false;
    }

    /**
     * Sleeps until the channel is ready for {@code op} ({@link SelectionKey#OP_READ} or
     * {@link SelectionKey#OP_WRITE}), {@code nanos} pass (0: no limit), or {@link #close()}.
     *
     * @param call the API call, for messages
     * @throws InterruptedIOException if the thread is interrupted (its flag stays set)
     * @throws IOException {@code closed} for {@code call} if the channel closed locally
     */
    public void await(int op, long nanos, String call) throws IOException {
        try {
            Selector selector = selector(op, call);
            // The field is published before this check, so a concurrent close either sees the
            // selector (and wakes it) or is seen here.
            if (isShut()) {
                selector.close();
                throw closed.apply(call);
            }
            selector.select(IGNORE_KEY, nanos <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
        } catch (ClosedSelectorException e) {
            throw closed.apply(call);
        }
        // An interrupted thread's select returns at once, every time: stop instead of spinning.
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException(name + ": " + call + ": interrupted");
        }
    }

    /**
     * As {@link #await}, for the closing thread itself, whose own close must not end the wait:
     * it gives queued bytes a last time to go out.
     *
     * @throws IOException if the channel or the selector is closed, or the thread interrupted
     */
    public void awaitWhileClosing(int op, long nanos, String call) throws IOException {
        if (shut) {
            throw closed.apply(call);
        }
        try {
            selector(op, call).select(IGNORE_KEY, Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)));
        } catch (ClosedSelectorException e) {
            throw closed.apply(call);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException(name + ": " + call + ": interrupted");
        }
    }

    private Selector selector(int op, String call) throws IOException {
        Selector selector = op == SelectionKey.OP_READ ? readSelector : writeSelector;
        if (selector == null) {
            selector = Selector.open();
            if (op == SelectionKey.OP_READ) {
                readSelector = selector;
            } else {
                writeSelector = selector;
            }
            try {
                channel.register(selector, op);
            } catch (IOException | RuntimeException e) {
                selector.close();
                if (e instanceof ClosedChannelException || e instanceof ClosedSelectorException) {
                    throw closed.apply(call);
                }
                throw e;
            }
        }
        return selector;
    }

    private boolean isShut() {
        return shut || closedLocally.getAsBoolean();
    }

    /** Wakes whoever waits, to look again at why it waits. Any thread. */
    public void wake() {
        for (Selector s : new Selector[] {readSelector, writeSelector}) {
            if (s != null) {
                s.wakeup();
            }
        }
    }

    /** Wakes whoever waits, and makes every later wait fail as closed. Any thread. */
    public void close() {
        shut = true;
        for (Selector s : new Selector[] {readSelector, writeSelector}) {
            if (s != null) {
                s.wakeup();
                try {
                    s.close();
                } catch (IOException e) {
                    // Nothing more can be done with a selector that fails to close.
                }
            }
        }
    }
}
