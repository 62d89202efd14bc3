package dev.conduit.internal.shm;

import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.HandshakeListener;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Processes;
import dev.conduit.internal.posix.Shm;
import dev.conduit.internal.unix.AccessRules;
import dev.conduit.internal.unix.ServerTrust;
import dev.conduit.internal.unix.UnixPaths;
import dev.conduit.internal.unix.UnixTransport;
import dev.conduit.spi.TransportProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;

/**
 * {@code shm:NAME}: connections over shared-memory rings ({@link ShmConnection}), set up through
 * a Unix socket at {@code $TMPDIR/conduit-shm-NAME} (or {@code /tmp/...}) that the listener owns.
 *
 * <p>The handshake, in Conduit frames over that socket, each a line of UTF-8 text:
 * <pre>
 *   client: conduit-shm 1
 *   server: conduit-shm 1 ring=/conduit-PID-N-RANDOM     (or: conduit-shm error TEXT)
 *   client: conduit-shm mapped                            (or: conduit-shm error TEXT)
 * </pre>
 * The server creates the shared-memory object (0600) and maps it before it answers; once the
 * client says it has mapped it too, the server unlinks the name, so no crash of either side can
 * leave it behind in {@code /dev/shm}. The socket then stays open as each side's sign of life.
 * A listener also removes objects named by this scheme whose creating process is gone, in case
 * one died between creating an object and the client's answer.
 *
 * <p>{@code shmfan:NAME} is the one-way fan-out ({@link ShmFanout}): {@code openSender} makes
 * the publication and its handshake socket {@code $TMPDIR/conduit-shmfan-NAME},
 * {@code openReceiver} subscribes to it.
 */
public final class ShmTransport implements TransportProvider {
    /** {@code ?size=}: each ring's data bytes, a power of two. */
    public static final String SIZE = "size";
    static final long DEFAULT_RING_BYTES = 1 << 20;
    static final int NAME_MAX_BYTES = 64;
    static final String HELLO = "conduit-shm 1";
    static final String MAPPED = "conduit-shm mapped";
    static final String ERROR = "conduit-shm error ";
    private static final String RING_PREFIX = "conduit-";
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    private static final AtomicLong RINGS = new AtomicLong();

    @Override
    public Set<String> schemes() {
        return Set.of("shm", ShmFanout.SCHEME);
    }

    @Override
    public Set<String> oneWaySchemes() {
        return Set.of(ShmFanout.SCHEME);
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Options.SPIN, SIZE, "mode", AccessRules.ALLOW_USERS, AccessRules.ALLOW_GROUPS,
                ServerTrust.SERVER_USERS, ShmFanout.SUBSCRIBERS);
    }

    /**
     * {@inheritDoc} For {@code shmfan:NAME}: makes the publication and starts taking subscribers.
     * The subscriber's option {@code serverUsers} is ignored here, so one endpoint serves both ends.
     */
    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        checkSupported(endpoint);
        return ShmFanout.publish(endpoint, ringBytes(endpoint));
    }

    /**
     * {@inheritDoc} For {@code shmfan:NAME}: subscribes to the publication, which must exist. The
     * publisher's options ({@code size}, {@code subscribers}, {@code mode}, {@code allowUsers},
     * {@code allowGroups}) are ignored here, so one endpoint serves both ends.
     */
    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        checkSupported(endpoint);
        return ShmFanout.subscribe(endpoint);
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        checkSupported(endpoint);
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        Options.refuse(endpoint, ShmFanout.SUBSCRIBERS, "a fan-out's (shmfan:)");
        long ringBytes = ringBytes(endpoint);
        removeStaleRings();
        Listener sockets = new UnixTransport().listen(controlEndpoint(endpoint, true), endpoint);
        return new HandshakeListener(endpoint, sockets, control -> {
            RingFile file = serverHandshake(endpoint, control, ringBytes);
            return new ShmConnection(endpoint, file, true, control, maxFrame, spin);
        });
    }

    /** @return the {@code ?size=} option: each ring's data bytes, a power of two */
    static long ringBytes(Endpoint endpoint) {
        long ringBytes = Options.size(endpoint, SIZE, DEFAULT_RING_BYTES, RingFile.MIN_CAPACITY, RingFile.MAX_CAPACITY);
        if (Long.bitCount(ringBytes) != 1) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': size=" + ringBytes
                    + " (expected a power of two, e.g. 64k or 1m)");
        }
        return ringBytes;
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        checkSupported(endpoint);
        Options.refuse(endpoint, ShmFanout.SUBSCRIBERS, "a fan-out's (shmfan:)");
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        // Checks who listens before anything is mapped or sent: a squatter on the name learns nothing.
        Connection control = new UnixTransport().connect(controlEndpoint(endpoint, false), endpoint, timeout);
        try {
            RingFile file = clientHandshake(endpoint, control);
            return new ShmConnection(endpoint, file, false, control, maxFrame, spin);
        } catch (IOException | RuntimeException e) {
            control.close();
            throw e;
        }
    }

    private static void checkSupported(Endpoint endpoint) throws TransportUnavailableException {
        var why = Shm.unavailability();
        if (why.isPresent()) {
            throw new TransportUnavailableException(endpoint + ": " + why.get());
        }
        checkName(endpoint);
    }

    /** Refuses names that could escape the socket directory or overflow a path. */
    static void checkName(Endpoint endpoint) {
        ShmNames.problem(endpoint.address(), NAME_MAX_BYTES).ifPresent(problem -> {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': the shared-memory name '"
                    + endpoint.address() + "' " + problem);
        });
    }

    /**
     * @param endpoint an {@code shm:} endpoint
     * @return the path of its handshake socket, {@code $TMPDIR/conduit-shm-NAME}
     */
    public static Path socketPath(Endpoint endpoint) {
        return UnixPaths.inTemporaryDirectory(endpoint.toString(),
                "conduit-" + endpoint.scheme() + "-" + endpoint.address());
    }

    /** @return the {@code unix:} endpoint of the handshake socket, with the access options of its side */
    static Endpoint controlEndpoint(Endpoint endpoint, boolean listening) {
        Path path = socketPath(endpoint);
        Map<String, String> options = new HashMap<>();
        String[] names = listening ? new String[] {"mode", AccessRules.ALLOW_USERS, AccessRules.ALLOW_GROUPS}
                : new String[] {ServerTrust.SERVER_USERS};
        for (String name : names) {
            endpoint.option(name).ifPresent(v -> options.put(name, v));
        }
        options.put(Options.SPIN, "0");
        return Endpoint.of("unix", path.toString(), options);
    }

    private static RingFile serverHandshake(Endpoint endpoint, Connection control, long ringBytes)
            throws IOException {
        String hello = line(endpoint, control, "hello");
        if (!hello.equals(HELLO)) {
            control.send(ERROR + "expected '" + HELLO + "'");
            throw new IOException(endpoint + ": accept: the client said '" + hello + "', expected '" + HELLO
                    + "' (not a Conduit shm client?)");
        }
        String name = newRingName();
        RingFile file;
        try {
            file = RingFile.create(name, ringBytes, peerUid(control),
                    Options.mode(endpoint, "mode", UnixTransport.DEFAULT_MODE));
        } catch (IOException e) {
            control.send(ERROR + e.getMessage());
            throw new IOException(endpoint + ": accept: " + e.getMessage(), e);
        }
        try {
            control.send(HELLO + " ring=" + name);
            String answer = line(endpoint, control, "mapped");
            if (!answer.equals(MAPPED)) {
                throw new IOException(endpoint + ": accept: the client could not map the rings: " + answer);
            }
            return file;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        } finally {
            ShmNames.unlinkQuietly(name.substring(1));
        }
    }

    /** @return a fresh name for a ring object, {@code /conduit-PID-N-HEX}, which listeners sweep once PID is gone */
    static String newRingName() {
        return "/" + RING_PREFIX + Processes.getpid() + "-" + RINGS.incrementAndGet() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    }

    /** @return the client's user id, or -1 if the kernel's answer names no user this system knows */
    private static int peerUid(Connection control) {
        return control.peerCredentials().map(peer -> ServerTrust.uid(peer.user())).orElse(-1);
    }

    private static RingFile clientHandshake(Endpoint endpoint, Connection control) throws IOException {
        control.send(HELLO);
        String answer = line(endpoint, control, "ring name");
        String prefix = HELLO + " ring=";
        if (!answer.startsWith(prefix)) {
            throw new IOException(endpoint + ": connect: the listener answered '" + answer + "'");
        }
        String name = answer.substring(prefix.length());
        if (!name.startsWith("/") || !ShmNames.isRing(name.substring(1))) {
            throw new IOException(endpoint + ": connect: the listener named ring '" + name
                    + "', not one of Conduit's");
        }
        RingFile file;
        try {
            file = RingFile.open(name);
        } catch (IOException e) {
            control.send(ERROR + e.getMessage());
            throw new IOException(endpoint + ": connect: " + e.getMessage(), e);
        }
        try {
            control.send(MAPPED);
            return file;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    static String line(Endpoint endpoint, Connection control, String what) throws IOException {
        String text;
        try {
            text = control.receiveString(HANDSHAKE_TIMEOUT);
        } catch (ConnectionClosedException e) {
            throw new ConnectionClosedException(endpoint + ": handshake: the peer closed the socket before the "
                    + what, e);
        }
        if (text == null) {
            throw new IOException(endpoint + ": handshake: no " + what + " within "
                    + AbstractConnection.text(HANDSHAKE_TIMEOUT));
        }
        return text;
    }

    /** Unlinks {@code /dev/shm/conduit-PID-...} objects whose creating process is gone. */
    static void removeStaleRings() {
        Path dir = Path.of("/dev/shm");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, RING_PREFIX + "*")) {
            for (Path entry : entries) {
                Matcher m = ShmNames.RING.matcher(entry.getFileName().toString());
                if (m.matches() && !Processes.exists(Integer.parseInt(m.group(1)))) {
                    ShmNames.unlinkQuietly(entry.getFileName().toString());
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            // Best effort: a listener works without the sweep.
        }
    }
}
