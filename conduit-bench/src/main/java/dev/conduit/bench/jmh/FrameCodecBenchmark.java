package dev.conduit.bench.jmh;

import dev.conduit.FrameTooLongException;
import dev.conduit.internal.frame.FrameDecoder;
import dev.conduit.internal.frame.Frames;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The frame codec alone, without system calls: what the socket transports do per message on top
 * of {@code read} and {@code write}.
 *
 * <ul>
 *   <li>{@link #encodeArray} / {@link #encodeSegment}: one frame (header and payload) into a
 *       direct buffer through {@link Frames#encode}, as a socket send does into its send buffer.</li>
 *   <li>{@link #decode}: {@value #FRAMES} frames fed to a {@link FrameDecoder} as a socket's reads
 *       would (as much as its buffer takes at a time), each taken out as a zero-copy view; the
 *       result is per frame.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FrameCodecBenchmark {
    static final int FRAMES = 16;

    @Param({"64", "1024", "65536"})
    public int size;

    private byte[] payload;
    private MemorySegment payloadSegment;
    private MemorySegment outSegment;
    private byte[] stream;
    private FrameDecoder decoder;

    @Setup(Level.Trial)
    public void prepare() {
        payload = new byte[size];
        ThreadLocalRandom.current().nextBytes(payload);
        payloadSegment = Arena.ofAuto().allocate(size);
        MemorySegment.copy(payload, 0, payloadSegment, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, size);
        outSegment = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(Frames.HEADER_BYTES + size));
        ByteBuffer all = ByteBuffer.allocate(FRAMES * (Frames.HEADER_BYTES + size));
        for (int i = 0; i < FRAMES; i++) {
            all.putInt(size).put(payload);
        }
        stream = all.array();
        decoder = new FrameDecoder("jmh", Frames.DEFAULT_MAX_FRAME, FrameDecoder.DEFAULT_BUFFER_BYTES);
    }

    @Benchmark
    public int encodeArray() {
        return Frames.encode(outSegment, 0, payload, 0, size);
    }

    @Benchmark
    public long encodeSegment() {
        return Frames.encode(outSegment, 0, payloadSegment);
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public int decode() throws FrameTooLongException {
        int offset = 0;
        int frames = 0;
        int check = 0;
        while (frames < FRAMES) {
            while (decoder.next()) {
                ByteBuffer frame = decoder.frame();
                check += frame.get(frame.position());
                frames++;
            }
            if (offset < stream.length) {
                offset += decoder.feed(stream, offset, stream.length - offset);
            }
        }
        return check;
    }
}
