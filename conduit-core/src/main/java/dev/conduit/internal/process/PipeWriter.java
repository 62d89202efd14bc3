package dev.conduit.internal.process;

import dev.conduit.ConnectionClosedException;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.QueueConnection;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.frame.Framing;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The writing end of a process connection's pipe, written by two kinds of thread under one lock,
 * so frames never interleave: a {@code send} writes its frame into the pipe on the sender's own
 * thread ({@link #send}), and the writer thread ({@link #pump}) writes what {@code write} and
 * {@code trySend} queued in {@code outbound}, batched, since those may not wait for the pipe.
 *
 * <p>Why the sender writes itself: through the writer thread a {@code send} cost two thread
 * hand-offs (queue, then wait to hear it was written), which held one sender at about 100 k
 * messages a second where one {@code write(2)} per message does several times that. A returned
 * {@code send} has its frame in the kernel's pipe, as before: nothing of it waits in this
 * process's memory. The pump writes under the lock too and flushes before it lets go, so a
 * sender finds the stream with nothing buffered.
 */
final class PipeWriter implements QueueConnection.DirectSender {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final String name;
    private final Framing framing;
    private final OutputStream out;
    private final Inbox outbound;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private final MemorySegment segment = MemorySegment.ofArray(buffer);
    private final ByteBuffer view = ByteBuffer.wrap(buffer);
    /** Why the stream was closed, as a send reports it; null while it is open. Guarded by lock. */
    private String closedWhy;

    /**
     * @param out      the pipe; this writer owns it and closes it when {@link #pump} ends
     * @param outbound what {@code write} and {@code trySend} queued, which {@link #pump} drains
     */
    PipeWriter(String name, Framing framing, OutputStream out, Inbox outbound) {
        this.name = name;
        this.framing = framing;
        this.out = out;
        this.outbound = outbound;
    }

    /**
     * {@inheritDoc} Blocks while the pipe is full. The caller has waited until everything queued
     * before is written ({@link Inbox#awaitWritten}).
     *
     * @throws ConnectionClosedException if the stream was closed (locally, or after the peer went),
     *                                   or the write failed: the reader has gone (EPIPE)
     */
    @Override
    public void send(Object payload, int offset, long length) throws IOException {
        lock.lock();
        try {
            if (closedWhy != null) {
                throw new ConnectionClosedException(name + ": send: " + closedWhy);
            }
            long total = framing.encodedLength(length);
            for (long from = 0; from < total;) {
                int chunk = (int) Math.min(BUFFER_BYTES, total - from);
                framing.copyEncoded(payload, offset, length, from, chunk, segment, view, 0);
                out.write(buffer, 0, chunk);
                from += chunk;
            }
            // A Process's stream buffers what is shorter than its own buffer: out now.
            out.flush();
        } catch (ConnectionClosedException e) {
            throw e;
        } catch (IOException e) {
            // The pump and later senders hear of it through the queue, as when the pump's write fails.
            closedWhy = "connection closed by peer";
            outbound.closeConsumer();
            throw new ConnectionClosedException(name + ": send: connection closed by peer", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The writer thread's loop: writes queued messages (all there are, then flushes), tells
     * {@code outbound} they are written, and closes the stream when the queue is closed and drained,
     * or when a write fails (then closing the queue's consumer side, so senders hear the peer went).
     */
    void pump() {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        OutputStream batched = new BufferedOutputStream(out, BUFFER_BYTES);
        String why = "connection closed locally";
        try {
            while (true) {
                byte[] message = outbound.take(-1);
                lock.lock();
                try {
                    do {
                        framing.writeTo(batched, message, header);
                        message = outbound.take(0);
                    } while (message != null);
                    batched.flush();
                } finally {
                    lock.unlock();
                }
                outbound.takenWritten();
            }
        } catch (ConnectionClosedException e) {
            // This side closed and everything queued was taken: close the stream below.
        } catch (IOException | InterruptedException e) {
            // The peer is gone (EPIPE) or the writer was stopped: senders must hear of it.
            why = "connection closed by peer";
            outbound.closeConsumer();
        }
        closeStream(batched, why);
    }

    private void closeStream(OutputStream batched, String why) {
        lock.lock();
        try {
            if (closedWhy == null) {
                closedWhy = why;
            }
            batched.close();
        } catch (IOException e) {
            // The peer is gone; nothing more can reach it.
        } finally {
            lock.unlock();
        }
    }
}
