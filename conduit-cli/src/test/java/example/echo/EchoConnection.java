package example.echo;

import dev.conduit.Endpoint;
import dev.conduit.FrameTooLongException;
import dev.conduit.spi.support.MessageConnection;
import dev.conduit.spi.support.SendMode;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/** One end of an {@code echo:} pair, built only on Conduit's exported support for transports. */
class EchoConnection extends MessageConnection {
    private final Pipe in;
    private final Pipe out;

    EchoConnection(Endpoint endpoint, int maxFrame, Pipe in, Pipe out) {
        super(endpoint, endpoint.redacted(), maxFrame);
        this.in = in;
        this.out = out;
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        Object next;
        try {
            next = in.take(waitNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name() + ": receive: interrupted");
        }
        if (next == Pipe.End.READER_CLOSED) {
            throw closedLocally("receive");
        }
        if (next == Pipe.End.WRITER_CLOSED) {
            throw closedByPeer("receive", null);
        }
        if (next instanceof byte[] message && message.length > maxFrame()) {
            close();
            throw new FrameTooLongException(name() + ": receive", message.length, maxFrame());
        }
        return next == null ? null : ByteBuffer.wrap((byte[]) next).asReadOnlyBuffer();
    }

    @Override
    protected boolean sendMessage(MemorySegment message, SendMode mode) throws IOException {
        Object result;
        try {
            result = out.put(message.toArray(ValueLayout.JAVA_BYTE), mode != SendMode.TRY_SEND);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(name() + ": " + mode.call() + ": interrupted");
        }
        if (result == Pipe.End.WRITER_CLOSED) {
            throw closedLocally(mode.call());
        }
        if (result == Pipe.End.READER_CLOSED) {
            throw closedByPeer(mode.call(), null);
        }
        return result == null;
    }

    @Override
    protected void closeTransport() {
        in.closeReader();
        out.closeWriter();
    }
}
