package dev.conduit.bench.link;

import dev.conduit.Connection;
import dev.conduit.bench.Link;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A Conduit connection, driven through its public API as a user would. */
public final class ConduitLink implements Link {
    private final Connection connection;
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
        byte[] m = connection.receive();
        lastLength = m.length;
        return m;
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
