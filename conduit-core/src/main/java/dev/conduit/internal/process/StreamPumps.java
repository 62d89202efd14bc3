package dev.conduit.internal.process;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.frame.Frames;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.frame.StreamDecoder;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * The two threads that move messages between a pair of byte streams and a connection's inboxes,
 * framed as the connection's {@link Framing} has it:
 * a reader decoding messages into {@code inbound}, a writer encoding {@code outbound} messages
 * (flushing whenever it has nothing more queued, so bursts are batched into few writes, or a
 * sender waits for its message to be out, and then telling {@code outbound} what is written).
 */
final class StreamPumps {
    private static final int OUTPUT_BUFFER_BYTES = 64 * 1024;

    private final Thread reader;
    private final Thread writer;

    /**
     * @param endNote what to add to the end-of-stream message, e.g. the child's exit code
     */
    StreamPumps(String name, int maxFrame, Framing framing, InputStream in, OutputStream out, Inbox inbound,
            Inbox outbound, Supplier<String> endNote) {
        StreamDecoder decoder = framing.decoder(name, maxFrame, StreamDecoder.DEFAULT_BUFFER_BYTES);
        reader = Thread.ofPlatform().daemon().name("conduit-reader " + name)
                .unstarted(() -> read(name, decoder, in, inbound, endNote));
        writer = Thread.ofPlatform().daemon().name("conduit-writer " + name)
                .unstarted(() -> write(framing, out, outbound));
    }

    void start() {
        reader.start();
        writer.start();
    }

    /** @return whether the writer finished (wrote everything and closed its stream) in time */
    boolean awaitWriter(long millis) throws InterruptedException {
        return writer.join(java.time.Duration.ofMillis(millis));
    }

    private static void read(String name, StreamDecoder decoder, InputStream in, Inbox inbound,
            Supplier<String> endNote) {
        try (in) {
            while (true) {
                while (decoder.next()) {
                    inbound.put(decoder.frameArray(), true);
                }
                if (decoder.readFrom(in) < 0) {
                    boolean cut = decoder.endOfInput();
                    while (!cut && decoder.next()) {
                        inbound.put(decoder.frameArray(), true);
                    }
                    inbound.closeProducer(new ConnectionClosedException(name + ": receive: " + (cut
                            ? "peer closed in the middle of a frame (" + decoder.heldBytes() + " bytes of it received)"
                            : "connection closed by peer") + endNote.get()));
                    return;
                }
            }
        } catch (FrameTooLongException e) {
            inbound.closeProducer(e);
        } catch (ConnectionClosedException e) {
            // This side closed: nobody wants what arrives any more.
        } catch (IOException e) {
            inbound.closeProducer(new ConnectionClosedException(name + ": receive: connection lost: "
                    + e.getMessage(), e));
        } catch (InterruptedException e) {
            inbound.closeProducer(new ConnectionClosedException(name + ": receive: reader interrupted", e));
        }
    }

    private static void write(Framing framing, OutputStream rawOut, Inbox outbound) {
        ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES);
        try (OutputStream out = new BufferedOutputStream(rawOut, OUTPUT_BUFFER_BYTES)) {
            try {
                while (true) {
                    byte[] message = outbound.take(-1);
                    framing.writeTo(out, message, header);
                    if (outbound.shouldWriteOut()) {
                        out.flush();
                        outbound.takenWritten();
                    }
                }
            } catch (ConnectionClosedException e) {
                // This side closed and everything queued was written: close the stream below.
            }
        } catch (IOException | InterruptedException e) {
            // The peer is gone (EPIPE) or the writer was stopped: senders must hear of it.
            outbound.closeConsumer();
        }
    }
}
