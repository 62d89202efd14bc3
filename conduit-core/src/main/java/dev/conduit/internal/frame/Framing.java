package dev.conduit.internal.frame;

import dev.conduit.Endpoint;
import dev.conduit.internal.Options;
import dev.conduit.internal.Payloads;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * How messages are cut out of a byte stream ({@code ?framing=}), on the way in (a
 * {@link StreamDecoder}) and on the way out (what surrounds a message's bytes):
 *
 * <pre>
 * frames   "hi" -> 00 00 00 02 68 69     a 4-byte big-endian length, then the bytes (the default)
 * lines    "hi" -> 68 69 0A              the bytes, then \n; a message may not hold a \n
 * raw      "hi" -> 68 69                 the bytes as they are; each read is a message
 * </pre>
 *
 * See docs/framing.md.
 */
public enum Framing {
    /** Length-prefixed frames ({@link Frames}): any bytes, message boundaries kept exactly. */
    FRAMES(Frames.HEADER_BYTES, 0),
    /** One message per line, for shells and line tools: {@link LineDecoder}. */
    LINES(0, 1),
    /** Bytes as they come, for byte pipes: {@link RawDecoder}. */
    RAW(0, 0);

    /** The endpoint option that picks the framing. */
    public static final String OPTION = "framing";

    private final int prefixBytes;
    private final int suffixBytes;

    Framing(int prefixBytes, int suffixBytes) {
        this.prefixBytes = prefixBytes;
        this.suffixBytes = suffixBytes;
    }

    /**
     * @param endpoint the endpoint
     * @return its {@code framing} option, {@link #FRAMES} if absent
     * @throws IllegalArgumentException if it is not {@code frames}, {@code lines} or {@code raw}, or
     *                                  is {@code raw} with {@code maxFrame=0}
     */
    public static Framing of(Endpoint endpoint) {
        String text = endpoint.option(OPTION).orElse(null);
        if (text == null) {
            return FRAMES;
        }
        Framing framing = switch (text) {
            case "frames" -> FRAMES;
            case "lines" -> LINES;
            case "raw" -> RAW;
            default -> throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + OPTION + "="
                    + text + " (expected frames, lines or raw)");
        };
        if (framing == RAW && Options.maxFrame(endpoint) == 0) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': framing=raw needs maxFrame"
                    + " of at least 1 (each message is the bytes one read brought, up to maxFrame)");
        }
        return framing;
    }

    /** @return the option's value as written in an endpoint: {@code frames}, {@code lines} or {@code raw} */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param context     the endpoint, for error messages
     * @param maxFrame    the longest message accepted
     * @param bufferBytes the read buffer's size, at least 64
     * @return a decoder for this framing
     * @throws IllegalArgumentException as the decoder's constructor
     */
    public StreamDecoder decoder(String context, int maxFrame, int bufferBytes) {
        return decoder(context, maxFrame, ByteBuffer.allocateDirect(Math.max(bufferBytes, 0)));
    }

    /**
     * As {@link #decoder(String, int, int)}, reading into {@code buffer} (direct, whole, at least
     * 64 bytes), which the decoder then owns.
     *
     * @return a new decoder
     */
    public StreamDecoder decoder(String context, int maxFrame, ByteBuffer buffer) {
        return switch (this) {
            case FRAMES -> new FrameDecoder(context, maxFrame, buffer);
            case LINES -> new LineDecoder(context, maxFrame, buffer);
            case RAW -> new RawDecoder(context, maxFrame, buffer);
        };
    }

    /** @return the bytes a message of {@code length} bytes takes on the wire */
    public long encodedLength(long length) {
        return prefixBytes + length + suffixBytes;
    }

    /**
     * Refuses a message this framing cannot carry as one: with {@link #LINES}, one holding a
     * {@code \n}, which the peer would read as two. Other framings carry any bytes.
     *
     * @param name    the connection's name, for the message, e.g. {@code unix:/a?framing=lines}
     * @param call    the call, for the message, e.g. {@code send}
     * @param payload the message, in a form {@link Payloads} reads
     * @throws IllegalArgumentException if the message holds a newline, naming its offset
     */
    public void checkMessage(String name, String call, Object payload, int offset, long length) {
        if (this != LINES) {
            return;
        }
        long at = Payloads.indexOf(payload, offset, length, (byte) '\n');
        if (at >= 0) {
            throw new IllegalArgumentException(name + ": " + call + ": the message holds a newline at byte " + at + " of "
                    + length + "; with framing=lines a newline ends a message, so send each line on its own"
                    + " (or use framing=frames or raw for any bytes)");
        }
    }

    /**
     * Copies the bytes {@code [from, from + count)} of the message as this framing puts it on the
     * wire (prefix, the message, suffix) into {@code dst} at {@code at}: a message can go out in
     * pieces of any size.
     *
     * @param payload the message, in a form {@link Payloads} reads, of {@code length} bytes from {@code offset}
     * @param dstView {@code dst} as a buffer (see {@link Payloads#copy})
     */
    public void copyEncoded(Object payload, int offset, long length, long from, long count, MemorySegment dst,
            ByteBuffer dstView, long at) {
        long end = from + count;
        for (long i = from; i < Math.min(end, prefixBytes); i++) {
            dst.set(ValueLayout.JAVA_BYTE, at + i - from, (byte) (length >>> (8 * (prefixBytes - 1 - i))));
        }
        long payloadFrom = Math.max(from, prefixBytes);
        long payloadEnd = Math.min(end, prefixBytes + length);
        if (payloadEnd > payloadFrom) {
            Payloads.copy(payload, offset, payloadFrom - prefixBytes, dst, dstView, at + payloadFrom - from,
                    payloadEnd - payloadFrom);
        }
        for (long i = Math.max(from, prefixBytes + length); i < end; i++) {
            dst.set(ValueLayout.JAVA_BYTE, at + i - from, (byte) '\n');
        }
    }

    /**
     * Writes one message to a stream as this framing puts it on the wire, making nothing.
     *
     * @param header a heap buffer of at least {@link Frames#HEADER_BYTES} bytes the caller keeps for this
     * @throws IOException from the stream
     */
    public void writeTo(OutputStream out, byte[] message, ByteBuffer header) throws IOException {
        if (prefixBytes > 0) {
            Frames.putHeader(header, 0, message.length);
            out.write(header.array(), header.arrayOffset(), prefixBytes);
        }
        out.write(message);
        if (suffixBytes > 0) {
            out.write('\n');
        }
    }

    /** As {@link #copyEncoded(Object, int, long, long, long, MemorySegment, ByteBuffer, long)}, into an array. */
    public void copyEncoded(Object payload, int offset, long length, long from, int count, byte[] dst, int at) {
        copyEncoded(payload, offset, length, from, count, MemorySegment.ofArray(dst), ByteBuffer.wrap(dst), at);
    }
}
