package dev.conduit.bench.link;

import dev.conduit.Connection;
import dev.conduit.MessageHandler;
import dev.conduit.bench.Link;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A Conduit connection, driven through its public API as a user after speed would: messages that
 * are already there are taken with the zero-copy {@code poll}; only when none is does it block in
 * {@code receive}.
 */
public final class ConduitLink implements Link {
    private final Connection connection;
    private final MessageHandler copy = this::copy;
    private byte[] received = new byte[64];
    private int lastLength;

    /** @param connection the connection, owned from now on */
    public ConduitLink(Connection connection) {
        this.connection = connection;
    }

    @Override
    public void send(byte[] message, int length) throws Exception {
        connection.send(ByteBuffer.wrap(message, 0, length));
    }

    @Override
    public void write(byte[] message, int length) throws Exception {
        connection.write(ByteBuffer.wrap(message, 0, length));
    }

    @Override
    public void flush() throws Exception {
        connection.flush();
    }

    @Override
    public byte[] receive() throws Exception {
        if (connection.poll(copy, 1) == 1) {
            return received;
        }
        byte[] m = connection.receive();
        lastLength = m.length;
        return m;
    }

    private void copy(ByteBuffer message) {
        lastLength = message.remaining();
        if (received.length < lastLength) {
            received = new byte[lastLength];
        }
        message.get(message.position(), received, 0, lastLength);
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
