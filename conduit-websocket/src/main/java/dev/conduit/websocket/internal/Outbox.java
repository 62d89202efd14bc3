package dev.conduit.websocket.internal;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * The bytes a connection's pipeline has made (frames, TLS records, HTTP) and its socket has not
 * yet taken, in order. They pass through one direct buffer on their way out, so writes never
 * make the JDK copy a heap buffer into a temporary direct one of its own. Not thread-safe: the
 * connection guards it with its pipeline lock.
 *
 * <p>It keeps apart what the protocol made on its own (pongs, close answers, pings), so that a
 * peer that sends pings and never reads the pongs can be told from a peer that reads data slowly
 * ({@link #controlCharge()}).
 */
final class Outbox {
    private static final int STAGE_BYTES = 64 * 1024;

    /**
     * What a queued control buffer is charged beyond its bytes: the objects that hold it. A
     * pong of an empty ping is two bytes, but about this much heap.
     */
    static final int CONTROL_OVERHEAD = 128;

    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    /** Beside {@link #queue}, entry for entry: whether that buffer is control (no allocation: boxed booleans are shared). */
    private final ArrayDeque<Boolean> control = new ArrayDeque<>();
    private long controlCharge;
    /** In read mode: its bytes from position to limit were taken from the queue but not written. */
    private final ByteBuffer stage = ByteBuffer.allocateDirect(STAGE_BYTES).limit(0);
    private long added;
    private long written;
    /** Where {@link #clear()} first dropped bytes: none before it were dropped. */
    private long droppedFrom = Long.MAX_VALUE;

    /**
     * Queues {@code bytes}, which the outbox now owns and releases once written.
     *
     * @param isControl whether the protocol made them on its own rather than a sender's message
     */
    void add(ByteBuf bytes, boolean isControl) {
        int n = bytes.readableBytes();
        if (n == 0) {
            bytes.release();
            return;
        }
        queue.add(bytes);
        control.add(isControl);
        added += n;
        if (isControl) {
            controlCharge += n + CONTROL_OVERHEAD;
        }
    }

    /** @return what the control buffers still queued cost: their bytes and {@link #CONTROL_OVERHEAD} each */
    long controlCharge() {
        return controlCharge;
    }

    /** @return how many bytes were ever queued: a message is out once {@link #written()} reaches this */
    long added() {
        return added;
    }

    /** @return how many bytes were ever written */
    long written() {
        return written;
    }

    /** @return how many bytes wait */
    long unwritten() {
        return added - written;
    }

    /**
     * Writes what the socket takes now, without waiting.
     *
     * @throws IOException if the socket fails
     */
    void writeTo(SocketChannel socket) throws IOException {
        while (unwritten() > 0) {
            fill();
            int n = socket.write(stage);
            written += n;
            if (stage.hasRemaining()) {
                return; // the socket is full
            }
        }
    }

    private void fill() {
        stage.compact();
        while (stage.hasRemaining() && !queue.isEmpty()) {
            ByteBuf head = queue.peek();
            int n = Math.min(stage.remaining(), head.readableBytes());
            int limit = stage.limit();
            stage.limit(stage.position() + n);
            head.readBytes(stage);
            stage.limit(limit);
            boolean isControl = control.peek();
            if (isControl) {
                controlCharge -= n;
            }
            if (!head.isReadable()) {
                queue.poll().release();
                control.poll();
                if (isControl) {
                    controlCharge -= CONTROL_OVERHEAD;
                }
            }
        }
        stage.flip();
    }

    /**
     * Drops what waits, releasing its buffers. The dropped bytes count as {@link #written()} (so
     * nothing waits for them) but not as {@link #delivered}.
     */
    void clear() {
        for (ByteBuf b; (b = queue.poll()) != null; ) {
            b.release();
        }
        control.clear();
        controlCharge = 0;
        stage.limit(0);
        droppedFrom = Math.min(droppedFrom, written);
        written = added;
    }

    /**
     * @param end a message's end, as {@link #added()} was after it
     * @return whether all of its bytes went to the socket: {@link #written()} reached it, and
     *         none of them was dropped by {@link #clear()}
     */
    boolean delivered(long end) {
        return written >= end && end <= droppedFrom;
    }
}
