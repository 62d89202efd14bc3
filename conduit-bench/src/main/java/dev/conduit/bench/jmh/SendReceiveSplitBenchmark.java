package dev.conduit.bench.jmh;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.internal.frame.Frames;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One side of a socket connection at a time, against a plain blocking channel as the peer that
 * does the other side in bulk, so almost none of its cost lands on the measured side.
 *
 * <ul>
 *   <li>{@link #send}: one {@code send(byte[])}. Once at least {@value #BULK_BYTES} bytes are
 *       outstanding, or {@value #BULK_MESSAGES} messages, the peer drains them with one
 *       {@code read} (two or more for 64 KiB messages), inside the measured call; spread over
 *       the messages that is some tens of nanoseconds each for small ones, but a whole read and
 *       copy for 64 KiB ones.</li>
 *   <li>{@link #write}: one {@code write(byte[])}, with a {@code flush} and the peer's drain
 *       every {@value #BULK_BYTES} bytes: the batched sender's cost per message.</li>
 *   <li>{@link #poll}: one {@code poll(handler, 1)} from a socket that already holds many frames.
 *       When they are used up the peer writes the next {@value #BULK_BYTES} bytes of frames with
 *       one {@code write}. This is the steady-state cost of taking a message when messages come
 *       faster than they are taken: decoding, plus one {@code read} per buffer-full. A
 *       message-at-a-time receiver pays a {@code read} per message instead: see
 *       {@link SendReceiveBenchmark}.</li>
 * </ul>
 *
 * <p>Only stream sockets: {@code mem:} has no raw peer to stand in for the other side.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SendReceiveSplitBenchmark {
    static final int BULK_BYTES = 32 * 1024;
    /**
     * A Unix socket counts each write's kernel buffer (about 1 KiB for a small message) against
     * its send buffer, so small messages fill it long before {@link #BULK_BYTES}: drain at least
     * every this many.
     */
    static final int BULK_MESSAGES = 64;

    @Param({"unix", "tcp"})
    public String transport;

    @Param({"64", "1024", "65536"})
    public int size;

    private Path directory;
    private Listener listener;
    private Connection conduit;
    private SocketChannel raw;
    private byte[] payload;
    private ByteBuffer drain;
    private long outstanding;
    private int unread;
    private ByteBuffer frames;
    private int framesPerBulk;
    private int framesLeft;
    private final SendReceiveBenchmark.Sink sink = new SendReceiveBenchmark.Sink();

    @Setup(Level.Trial)
    public void open() throws IOException {
        if (transport.equals("unix")) {
            directory = Files.createTempDirectory(Path.of("/tmp"), "cjmh");
            listener = Conduit.listen("unix:" + directory.resolve("s.sock"));
            raw = SocketChannel.open(StandardProtocolFamily.UNIX);
            raw.connect(UnixDomainSocketAddress.of(listener.endpoint().address()));
        } else if (transport.equals("tcp")) {
            listener = Conduit.listen("tcp://127.0.0.1:0");
            String address = listener.endpoint().address();
            raw = SocketChannel.open(new InetSocketAddress("127.0.0.1",
                    Integer.parseInt(address.substring(address.lastIndexOf(':') + 1))));
        } else {
            throw new IllegalArgumentException("transport: " + transport + " (expected unix or tcp)");
        }
        conduit = listener.accept(Duration.ofSeconds(10));
        if (conduit == null) {
            throw new IOException(listener.endpoint() + ": accept timed out");
        }
        payload = new byte[size];
        ThreadLocalRandom.current().nextBytes(payload);
        int frameBytes = Frames.HEADER_BYTES + size;
        drain = ByteBuffer.allocateDirect(Math.max(BULK_BYTES, frameBytes) * 2);
        framesPerBulk = Math.max(1, BULK_BYTES / frameBytes);
        frames = ByteBuffer.allocateDirect(framesPerBulk * frameBytes);
        for (int i = 0; i < framesPerBulk; i++) {
            Frames.encode(MemorySegment.ofBuffer(frames), i * frameBytes, payload, 0, size);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        try {
            raw.close();
            conduit.close();
            listener.close();
        } finally {
            if (directory != null) {
                Files.deleteIfExists(directory.resolve("s.sock"));
                Files.deleteIfExists(directory);
            }
        }
    }

    @Benchmark
    public void send() throws IOException {
        conduit.send(payload);
        outstanding += Frames.HEADER_BYTES + size;
        if (outstanding >= BULK_BYTES || ++unread == BULK_MESSAGES) {
            while (outstanding > 0) {
                drain.clear();
                outstanding -= raw.read(drain);
            }
            unread = 0;
        }
    }

    /**
     * One {@code write(byte[])}; every {@value #BULK_BYTES} bytes a {@code flush} (one system
     * call), and the peer drains them, inside the measured call.
     */
    @Benchmark
    public void write() throws IOException {
        conduit.write(payload);
        outstanding += Frames.HEADER_BYTES + size;
        if (outstanding >= BULK_BYTES) {
            conduit.flush();
            while (outstanding > 0) {
                drain.clear();
                outstanding -= raw.read(drain);
            }
        }
    }

    @Benchmark
    public int poll() throws IOException {
        if (framesLeft == 0) {
            frames.clear();
            while (frames.hasRemaining()) {
                raw.write(frames);
            }
            framesLeft = framesPerBulk;
        }
        while (conduit.poll(sink, 1) == 0) {
            Thread.onSpinWait();
        }
        framesLeft--;
        return sink.last;
    }
}
