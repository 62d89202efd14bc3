package dev.conduit.bench.link;

import dev.conduit.bench.Link;
import dev.conduit.bench.Payloads;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.threads.Pauser;
import net.openhft.chronicle.wire.DocumentContext;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Chronicle Queue, the peer of Conduit's {@code log:}: a pair of queues, one each way, as the
 * {@code log} row is a pair of logs. A side appends each message as one excerpt (one
 * {@code writingDocument} per message: Chronicle has no batch to flush) and tails the other
 * queue from its start. Chronicle has no blocking read: at the end of the queue a tailer
 * waits with {@code Pauser.yielding()} (it spins, then gives its CPU away with
 * {@code Thread.yield} between looks). Measured pinned on this shared machine, 64 B ping-pong:
 * a pure busy spin, once descheduled, took round trips from µs to 1-800 ms (134 in 6 s);
 * {@code Pauser.balanced()}, which sleeps for longer and longer, made one round trip in 1 s
 * twice in a row; the yielding pauser made 4052 and 4229, p50 2.5-2.7 µs. The {@code log} row's
 * receiver spins, then sleeps in the kernel until the writer wakes it. {@link #receiveChecked}
 * checks each excerpt where it lies in the mapped file, as a user decoding in place would, and
 * as the {@code log} row does.
 *
 * <p>Chronicle does not keep an empty excerpt (a tailer reads one byte of padding back), so the
 * empty message that ends a phase travels as the one-byte excerpt {@link #EMPTY}: no message of
 * the harness is one byte long.
 */
public final class ChronicleLink implements Link {
    private static final byte[] EMPTY = {0};
    private final ChronicleQueue outQueue;
    private final ChronicleQueue inQueue;
    private final ExcerptAppender appender;
    private final ExcerptTailer tailer;
    private final Pauser pauser = Pauser.yielding();
    private byte[] received = new byte[64];
    private int lastLength = -1;
    /** The mapped chunk {@link #view} covers, and where in the file it starts and ends. */
    private BytesStore<?, ?> viewOf;
    private long viewStart;
    private long viewEnd;
    private ByteBuffer view;

    /**
     * @param out the directory of the queue this side appends to (made if missing)
     * @param in  the directory of the queue this side tails from its start (made if missing)
     */
    public ChronicleLink(Path out, Path in) {
        this.outQueue = SingleChronicleQueueBuilder.binary(out).build();
        this.inQueue = SingleChronicleQueueBuilder.binary(in).build();
        this.appender = outQueue.createAppender();
        this.tailer = inQueue.createTailer().toStart();
    }

    @Override
    public void send(byte[] message, int length) {
        if (length == 0) {
            send(EMPTY, 1);
            return;
        }
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(message, 0, length);
        }
    }

    @Override
    public byte[] receive() {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (dc.isPresent()) {
                    Bytes<?> bytes = dc.wire().bytes();
                    int length = (int) bytes.readRemaining();
                    if (length == EMPTY.length) {
                        lastLength = 0;
                        pauser.reset();
                        return received;
                    }
                    if (received.length < length) {
                        received = new byte[length];
                    }
                    bytes.read(received, 0, length);
                    lastLength = length;
                    pauser.reset();
                    return received;
                }
            }
            pauser.pause();
        }
    }

    @Override
    public long receiveChecked(Payloads payloads) {
        long checked = 0;
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    pauser.pause();
                    continue;
                }
                pauser.reset();
                Bytes<?> bytes = dc.wire().bytes();
                long length = bytes.readRemaining();
                if (length == EMPTY.length) {
                    return checked;
                }
                payloads.verify(inPlace(bytes, bytes.readPosition(), (int) length), (int) checked++);
            }
        }
    }

    /** @return the excerpt's bytes where they lie in the mapping, from position to limit */
    @SuppressWarnings("restricted") // Chronicle gives the chunk's address and size; the view stays inside them
    private ByteBuffer inPlace(Bytes<?> bytes, long at, int length) {
        BytesStore<?, ?> store = bytes.bytesStore();
        if (store != viewOf || at < viewStart || at + length > viewEnd) {
            // One view per mapped chunk, not one per message: made again when the tailer moves on.
            viewOf = store;
            viewStart = store.start();
            viewEnd = store.start() + store.realCapacity();
            long address = store.addressForRead(viewStart);
            view = MemorySegment.ofAddress(address).reinterpret(viewEnd - viewStart).asByteBuffer();
        }
        int start = (int) (at - viewStart);
        return view.limit(start + length).position(start);
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() {
        try (outQueue; inQueue) {
            appender.close();
            tailer.close();
        }
    }
}
