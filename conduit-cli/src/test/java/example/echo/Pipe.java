package example.echo;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** One direction of an {@code echo:} pair: whole messages, bounded in bytes, between two threads. */
final class Pipe {
    /** What {@link #take} and {@link #put} report besides a message. */
    enum End { WRITER_CLOSED, READER_CLOSED }

    private final long capacity;
    private final ArrayDeque<byte[]> messages = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long bytes;
    private boolean writerClosed;
    private boolean readerClosed;

    Pipe(long capacity) {
        this.capacity = capacity;
    }

    /**
     * @param waitNanos -1 forever, 0 none, else the most to wait
     * @return the message, null on time-out, or an {@link End} when no message can come
     */
    Object take(long waitNanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long left = waitNanos;
            while (messages.isEmpty()) {
                if (readerClosed) {
                    return End.READER_CLOSED;
                }
                if (writerClosed) {
                    return End.WRITER_CLOSED;
                }
                if (waitNanos == 0 || waitNanos > 0 && left <= 0) {
                    return null;
                }
                if (waitNanos < 0) {
                    changed.await();
                } else {
                    left = changed.awaitNanos(left);
                }
            }
            byte[] message = messages.poll();
            bytes -= message.length;
            changed.signalAll();
            return message;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param wait whether to wait for room (one message is always let in when the pipe is empty)
     * @return null if queued, {@link Boolean#FALSE} if full and not waiting, or an {@link End}
     */
    Object put(byte[] message, boolean wait) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                if (writerClosed) {
                    return End.WRITER_CLOSED;
                }
                if (readerClosed) {
                    return End.READER_CLOSED;
                }
                if (messages.isEmpty() || bytes + message.length <= capacity) {
                    messages.add(message);
                    bytes += message.length;
                    changed.signalAll();
                    return null;
                }
                if (!wait) {
                    return Boolean.FALSE;
                }
                changed.await(50, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    void closeWriter() {
        close(true);
    }

    void closeReader() {
        close(false);
    }

    private void close(boolean writer) {
        lock.lock();
        try {
            if (writer) {
                writerClosed = true;
            } else {
                readerClosed = true;
                messages.clear();
                bytes = 0;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
