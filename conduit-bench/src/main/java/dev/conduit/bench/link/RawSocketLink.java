package dev.conduit.bench.link;

import dev.conduit.bench.Link;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * What a user writes by hand instead of Conduit: a blocking JDK {@link SocketChannel} (here over
 * a Unix socket) with the same 4-byte big-endian framing, header and payload read separately, and
 * frames packed into one 64 KiB buffer between flushes.
 */
public final class RawSocketLink implements Link {
    private final SocketChannel channel;
    private final ByteBuffer out;
    private final ByteBuffer header = ByteBuffer.allocateDirect(4);
    private ByteBuffer in;
    private byte[] received;
    private int lastLength;

    /**
     * @param channel  a connected channel in blocking mode, owned from now on
     * @param maxSize  the largest message either way
     */
    public RawSocketLink(SocketChannel channel, int maxSize) {
        this.channel = channel;
        this.out = ByteBuffer.allocateDirect(Math.max(64 * 1024, maxSize) + 4);
        this.in = ByteBuffer.allocateDirect(maxSize);
        this.received = new byte[maxSize];
    }

    @Override
    public void send(byte[] message, int length) throws IOException {
        write(message, length);
        flush();
    }

    @Override
    public void write(byte[] message, int length) throws IOException {
        if (out.remaining() < length + 4) {
            flush();
        }
        out.putInt(length).put(message, 0, length);
    }

    @Override
    public void flush() throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            channel.write(out);
        }
        out.clear();
    }

    @Override
    public byte[] receive() throws IOException {
        header.clear();
        readFully(header);
        int length = header.getInt(0);
        if (length > in.capacity()) {
            in = ByteBuffer.allocateDirect(length);
            received = new byte[length];
        }
        in.clear().limit(length);
        readFully(in);
        in.flip().get(received, 0, length);
        lastLength = length;
        return received;
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("raw socket: peer closed");
            }
        }
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
