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
 */
final class Outbox {
    private static final int STAGE_BYTES = 64 * 1024;

    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    /** In read mode: its bytes from position to limit were taken from the queue but not written. */
    private final ByteBuffer stage = ByteBuffer.allocateDirect(STAGE_BYTES).limit(0);
    private long added;
    private long written;

    /** Queues {@code bytes}, which the outbox now owns and releases once written. */
    void add(ByteBuf bytes) {
        int n = bytes.readableBytes();
        if (n == 0) {
            bytes.release();
            return;
        }
        queue.add(bytes);
        added += n;
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
            if (!head.isReadable()) {
                queue.poll().release();
            }
        }
        stage.flip();
    }

    /** Drops what waits, releasing its buffers. */
    void clear() {
        for (ByteBuf b; (b = queue.poll()) != null; ) {
            b.release();
        }
        stage.limit(0);
        written = added;
    }
}
