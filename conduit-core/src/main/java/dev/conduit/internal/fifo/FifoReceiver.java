package dev.conduit.internal.fifo;

import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.frame.StreamDecoder;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.PosixFiles;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The read end of a FIFO, opened {@code O_RDONLY|O_NONBLOCK}: opening never waits for a writer.
 *
 * <p><b>Empty or ended.</b> {@code read} returns 0 whenever the FIFO is empty and has no writer,
 * both before any writer came and after the last one left, so it cannot tell "empty" from "end".
 * {@code poll} can: Linux's {@code pipe_poll} (fs/pipe.c) reports {@code POLLHUP} on a read end
 * only when there are no writers and the pipe's writer counter ({@code w_counter}, counting
 * writer opens) differs from the value saved when this end was opened ({@code fifo_open} saves it
 * for a non-blocking read open that finds no writer, "suppress EPOLLHUP until we have seen a
 * writer"; with a writer present it saves nothing, so the writer's leaving is seen). So: read 0,
 * then {@code POLLHUP} (and no {@code POLLIN}) means every writer has gone and all they wrote has
 * been read: the end of the stream. Read 0 without it means no writer has come yet: empty. And a
 * blocking wait in {@code poll} with no writer yet sleeps until one writes, or comes and goes.
 *
 * <p>Messages are cut by the framing's {@link StreamDecoder} straight from its direct buffer; a
 * partial one stays there for the next call. With {@code framing=lines}, bytes after the last
 * newline when every writer has gone are a last line (a shell's {@code printf 'a' > fifo}).
 */
final class FifoReceiver extends FifoEnd {
    private final StreamDecoder decoder;
    private final FifoChannel channel = new FifoChannel();
    /** The FIFO this receiver made, removed on close if still there; null if it found one. */
    private final Object createdKey;
    private final Path path;
    private ConnectionClosedException failure;
    /** Every writer has gone: final, so a writer that opens afterwards is not read. */
    private boolean ended;

    FifoReceiver(Endpoint endpoint, int maxFrame, Framing framing, int fd, Path path, Object createdKey) {
        super(endpoint, maxFrame, fd, path.toString());
        this.path = path;
        this.createdKey = createdKey;
        this.decoder = framing.decoder(endpoint.toString(), maxFrame, StreamDecoder.DEFAULT_BUFFER_BYTES);
    }

    @Override
    protected ByteBuffer nextMessage(long waitNanos) throws IOException {
        return take(waitNanos) ? decoder.frame() : null;
    }

    @Override
    protected byte[] nextArray(long waitNanos) throws IOException {
        return take(waitNanos) ? decoder.frameArray() : null;
    }

    private boolean take(long waitNanos) throws IOException {
        long deadline = deadline(waitNanos);
        boolean waited = false;
        io.lock();
        try {
            while (true) {
                if (isClosedLocally()) {
                    throw closedLocally("receive");
                }
                if (failure != null) {
                    throw failure;
                }
                if (ended) {
                    throw closedByPeer("receive", null);
                }
                if (decoder.next()) {
                    return true;
                }
                int n = decoder.readFrom(channel);
                if (n > 0 && !decoder.sourceDrained()) {
                    continue;
                }
                if (n > 0) {
                    if (decoder.next()) {
                        return true;
                    }
                } else if (n < 0) {
                    int ready = readiness(PosixFiles.POLLIN);
                    if ((ready & PosixFiles.POLLIN) != 0) {
                        continue;
                    }
                    if ((ready & PosixFiles.POLLHUP) != 0) {
                        if (!decoder.endOfInput() && decoder.next()) {
                            return true;
                        }
                        throw ended();
                    }
                }
                if (expired(waitNanos, deadline)) {
                    return false;
                }
                await(PosixFiles.POLLIN, deadline, !waited);
                waited = true;
            }
        } finally {
            io.unlock();
        }
    }

    /** @return the end of the stream: every writer has closed (or died) */
    private ConnectionClosedException ended() {
        if (decoder.midFrame()) {
            failure = new ConnectionClosedException(name + ": receive: every writer closed the FIFO in the middle"
                    + " of a message (" + decoder.heldBytes() + " bytes of it received, header included)");
            return failure;
        }
        ended = true;
        return closedByPeer("receive", null);
    }

    @Override
    protected boolean sendPayload(Object payload, int offset, long length, SendMode mode) {
        throw new UnsupportedOperationException(name + ": " + mode.call + ": this is the receiving end of a FIFO");
    }

    @Override
    protected void afterClose() throws IOException {
        if (createdKey == null) {
            return;
        }
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (createdKey.equals(key)) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // Removed by someone else already.
        }
    }

    /**
     * The descriptor as a channel for {@link StreamDecoder#readFrom(ReadableByteChannel)}: one
     * {@code read(2)} into the decoder's own direct buffer, whose address is found once.
     */
    private final class FifoChannel implements ReadableByteChannel {
        private ByteBuffer known;
        private long knownAddress;

        /** @return bytes read, 0 if none now (a writer is there), -1 if none and no writer */
        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (dst != known) {
                known = dst;
                knownAddress = MemorySegment.ofBuffer(dst).address() - dst.position();
            }
            long n = PosixFiles.read(fd, knownAddress + dst.position(), dst.remaining(), errnoState);
            if (n > 0) {
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            if (n == 0) {
                return -1;
            }
            int errno = Errno.value(errnoState);
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return 0;
            }
            throw failure("receive", "read");
        }

        @Override
        public boolean isOpen() {
            return fdOpen();
        }

        @Override
        public void close() {
        }
    }
}
