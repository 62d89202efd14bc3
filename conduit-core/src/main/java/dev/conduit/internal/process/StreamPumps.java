package dev.conduit.internal.process;

import dev.conduit.ConnectionClosedException;
import dev.conduit.FrameTooLongException;
import dev.conduit.internal.Inbox;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.frame.StreamDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * The two threads that move messages between a pair of byte streams and a connection's inboxes,
 * framed as the connection's {@link Framing} has it:
 * a reader decoding messages into {@code inbound}, and a writer running {@link PipeWriter#pump}
 * (what {@code write} and {@code trySend} queued; a {@code send} writes on its own thread).
 */
final class StreamPumps {
    private final Thread reader;
    private final Thread writer;

    /**
     * @param endNote what to add to the end-of-stream message, e.g. the child's exit code
     */
    StreamPumps(String name, int maxFrame, Framing framing, InputStream in, Inbox inbound, PipeWriter out,
            Supplier<String> endNote) {
        StreamDecoder decoder = framing.decoder(name, maxFrame, StreamDecoder.DEFAULT_BUFFER_BYTES);
        reader = Thread.ofPlatform().daemon().name("conduit-reader " + name)
                .unstarted(() -> read(name, decoder, in, inbound, endNote));
        writer = Thread.ofPlatform().daemon().name("conduit-writer " + name)
                .unstarted(out::pump);
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
}
