package dev.conduit;

import dev.conduit.testing.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the session contracts ({@link SessionContract}, {@link SubjectContract}) stand on: a
 * directory and the connections a test opened, closed after it; pairs of connections; a fake
 * session peer.
 */
@Timeout(60)
public abstract class SessionFixture {
    protected static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> open = new ArrayList<>();
    private TempDir dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = new TempDir();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        dir.close();
    }

    /** @return {@code resource}, closed after the test */
    protected final <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    /** @return a fresh endpoint of the transport under test with {@code options} */
    protected abstract String endpoint(String options);

    protected final TempDir dir() {
        return dir;
    }

    /** @return [0] client, [1] server, both with {@code options} */
    protected final Connection[] pair(String options) throws IOException {
        Listener listener = track(Conduit.listen(endpoint(options)));
        Connection client = track(Conduit.connect(listener.endpoint(), WAIT));
        Connection server = track(listener.accept(WAIT));
        return new Connection[] {client, server};
    }

    /**
     * A session client connected to a raw server that answers the handshake with {@code hello}
     * (text after the 0 type byte; anything after '?' is the client's options) and then sends
     * {@code frames} and goes silent.
     *
     * @return the client's connection
     */
    protected final Connection fakeSessionPeer(String hello, byte[]... frames) throws Exception {
        return fakeSessionPeer(hello, false, frames);
    }

    /** As {@link #fakeSessionPeer(String, byte[]...)}; if {@code leave}, the peer closes after its frames. */
    protected final Connection fakeSessionPeer(String hello, boolean leave, byte[]... frames) throws Exception {
        String[] parts = hello.split("\\?", 2);
        Listener listener = track(Conduit.listen(endpoint("maxFrame=1m")));
        CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
            try {
                Connection peer = track(listener.accept(WAIT));
                byte[] text = parts[0].getBytes(StandardCharsets.US_ASCII);
                byte[] frame = new byte[1 + text.length];
                System.arraycopy(text, 0, frame, 1, text.length);
                if (leave) {
                    // The client's hello first, so that it is not sent to a closed peer.
                    peer.receive(WAIT);
                }
                peer.send(frame);
                for (byte[] f : frames) {
                    peer.send(f);
                }
                if (leave) {
                    peer.close();
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Endpoint session = Endpoint.parse(listener.endpoint() + "&protocol=conduit"
                + (parts.length > 1 ? "&" + parts[1] : ""));
        try {
            return track(Conduit.connect(session, WAIT));
        } finally {
            server.get(10, TimeUnit.SECONDS);
        }
    }
}
