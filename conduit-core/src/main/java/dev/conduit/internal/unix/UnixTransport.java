package dev.conduit.internal.unix;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Options;
import dev.conduit.internal.ipcez.IpcezAck;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.socket.ReceiveLimits;
import dev.conduit.internal.socket.SocketConnection;
import dev.conduit.internal.socket.SocketListener;
import dev.conduit.internal.socket.Sockets;
import dev.conduit.spi.TransportProvider;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code unix:PATH} and {@code pipe:NAME} (the .NET/Kiwi convention, a socket at
 * {@code $TMPDIR/CoreFxPipe_NAME}): JDK Unix domain stream sockets.
 *
 * <p>The socket file is made with mode 0600 (or {@code ?mode=}) without a window in which
 * another user could connect: it is bound inside a fresh 0700 directory, given its mode, and
 * renamed into place. A stale file left by a dead listener is replaced; a live listener's is
 * an "already in use" error; a symbolic link or a file that is not a socket is never touched.
 * Telling stale from live takes one connection attempt, so a live listener sees that probe as a
 * client that closes at once.
 */
public final class UnixTransport implements TransportProvider {
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    /** The mode of a socket whose endpoint names none: the owner's alone. */
    public static final int DEFAULT_MODE = 0600;

    @Override
    public Set<String> schemes() {
        return Set.of("unix", "pipe");
    }

    @Override
    public Set<String> optionNames() {
        Set<String> names = new HashSet<>(Set.of(Options.MAX_FRAME, Options.SPIN, "mode", AccessRules.ALLOW_USERS,
                AccessRules.ALLOW_GROUPS, ServerTrust.SERVER_USERS, IpcezAck.ACK, IpcezAck.ACK_TIMEOUT, Framing.OPTION));
        names.addAll(ReceiveLimits.OPTIONS);
        return Set.copyOf(names);
    }

    /**
     * @param endpoint a {@code unix:} or {@code pipe:} endpoint
     * @return the socket file's path
     */
    public static Path socketPath(Endpoint endpoint) {
        if (endpoint.scheme().equals("pipe")) {
            return UnixPaths.inTemporaryDirectory(endpoint.toString(), "CoreFxPipe_" + endpoint.address());
        }
        return Path.of(endpoint.address());
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        Listener sockets = listen(endpoint, endpoint);
        return IpcezAck.requested(endpoint) ? IpcezAck.listen(endpoint, sockets) : sockets;
    }

    /**
     * Listens on the Unix socket {@code socketEndpoint} names, with its options (mode, access
     * rules), for another transport's handshake.
     *
     * @param socketEndpoint the {@code unix:} endpoint of the socket
     * @param shown          the endpoint the listener reports, e.g. {@code shm:NAME}
     * @return the listener
     * @throws IOException as {@link #listen(Endpoint)}
     */
    public Listener listen(Endpoint socketEndpoint, Endpoint shown) throws IOException {
        Endpoint endpoint = socketEndpoint;
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        Framing framing = Framing.of(endpoint);
        int mode = Options.mode(endpoint, "mode", DEFAULT_MODE);
        AccessRules rules = AccessRules.of(endpoint);
        ReceiveLimits limits = ReceiveLimits.forListener(endpoint, false);
        Path path = socketPath(endpoint).toAbsolutePath();
        replaceableOrFail(endpoint, path);
        ServerSocketChannel server = bindPrivately(endpoint, path, mode);
        Object fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        return new SocketListener(shown, server, channel -> {
            PeerCredentials peer = credentials(channel);
            if (!rules.allows(peer)) {
                LOG.log(System.Logger.Level.WARNING, "{0}: accept: refused peer user={1} group={2} ({3})",
                        shown, peer.user(), peer.group(), rules);
                channel.close();
                return null;
            }
            return new SocketConnection(endpoint, channel, maxFrame, spin, peer, framing, limits);
        }, () -> removeIfOurs(path, fileKey));
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        Connection connection = connect(endpoint, endpoint, timeout);
        return IpcezAck.requested(endpoint) ? IpcezAck.connect(endpoint, connection) : connection;
    }

    /**
     * Connects to the Unix socket {@code socketEndpoint} names, for it or for another transport's
     * handshake, and closes before sending anything unless the listener runs as a user
     * {@link ServerTrust} trusts.
     *
     * @param socketEndpoint the {@code unix:} or {@code pipe:} endpoint of the socket, with its options
     * @param shown          the endpoint errors name, e.g. {@code shm:NAME}
     * @param timeout        how long to keep trying while nobody listens
     * @return the connection, named by {@code socketEndpoint}
     * @throws IOException if nobody listened in time, if this user may not connect to the socket
     *                     (at once, not retried), or if the socket file or the listener belongs to a user
     *                     this client does not trust; each naming {@code shown}
     */
    public Connection connect(Endpoint socketEndpoint, Endpoint shown, Duration timeout) throws IOException {
        Endpoint endpoint = socketEndpoint;
        int maxFrame = Options.maxFrame(endpoint);
        long spin = Options.spinNanos(endpoint);
        Framing framing = Framing.of(endpoint);
        ReceiveLimits limits = ReceiveLimits.forClient(endpoint);
        ServerTrust trust = ServerTrust.of(endpoint, shown);
        Path path = socketPath(endpoint);
        trust.checkSocketFile(path);
        SocketChannel channel = open(shown, path, timeout);
        try {
            PeerCredentials server = credentials(channel);
            trust.checkListener(server);
            return new SocketConnection(endpoint, channel, maxFrame, spin, server, framing, limits);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static SocketChannel open(Endpoint shown, Path path, Duration timeout) throws IOException {
        try {
            // The JDK reports a Unix socket's EACCES as a BindException (nothing else gives one on
            // connect): the file's mode or a directory refuses this user, and waiting will not change it.
            return Sockets.connect(StandardProtocolFamily.UNIX, UnixDomainSocketAddress.of(path),
                    AbstractConnection.toWaitNanos(timeout), e -> !(e instanceof BindException));
        } catch (BindException e) {
            throw new IOException(shown + ": connect: permission denied: " + ServerTrust.refusal(path)
                    + "; the listener's ?mode= says who may connect", e);
        } catch (IOException e) {
            String why = Files.exists(path, LinkOption.NOFOLLOW_LINKS) ? e.getMessage() : "no socket file at " + path;
            throw new IOException(shown + ": connect: no listener (" + why + ")"
                    + (timeout.isZero() ? "" : " after waiting " + AbstractConnection.text(timeout)), e);
        }
    }

    private static PeerCredentials credentials(SocketChannel channel) throws IOException {
        UnixDomainPrincipal principal = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return new PeerCredentials(principal.user().getName(), principal.group().getName());
    }

    /** Fails unless {@code path} is absent or a socket nobody listens on. */
    private static void replaceableOrFail(Endpoint endpoint, Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (attrs.isSymbolicLink()) {
            throw new FileAlreadyExistsException(null, null, endpoint
                    + ": listen: " + path + " is a symbolic link; refusing to replace it");
        }
        if (!attrs.isOther()) {
            throw new FileAlreadyExistsException(null, null, endpoint
                    + ": listen: " + path + " exists and is not a socket");
        }
        boolean live;
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
            live = true;
        } catch (IOException e) {
            live = false; // Nobody accepts there: a stale socket from a process that died; it is replaced.
        }
        if (live) {
            throw new BindException(endpoint + ": listen: address already in use by a live listener at " + path);
        }
    }

    private static ServerSocketChannel bindPrivately(Endpoint endpoint, Path path, int mode) throws IOException {
        Path parent = path.getParent();
        if (!Files.isDirectory(parent)) {
            throw new NoSuchFileException(null, null, endpoint + ": listen: directory " + parent
                    + " does not exist");
        }
        String random = Long.toString(ThreadLocalRandom.current().nextLong() & 0xFFFFFFFFFFL, 36);
        Path dir = parent.resolve(".conduit-" + random);
        Path staged = dir.resolve("s");
        boolean direct = UnixPaths.tooLong(staged.toString());
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            if (direct) {
                // Staging path would pass the sun_path limit: bind in place and narrow at once.
                server.bind(UnixDomainSocketAddress.of(path), Sockets.BACKLOG);
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(UnixPaths.modeString(mode)));
                return server;
            }
            Files.createDirectory(dir,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                server.bind(UnixDomainSocketAddress.of(staged), Sockets.BACKLOG);
                Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString(UnixPaths.modeString(mode)));
                Files.move(staged, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(staged);
                Files.deleteIfExists(dir);
            }
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException(endpoint + ": listen: cannot create socket " + path + ": " + e.getMessage(), e);
        }
    }

    private static void removeIfOurs(Path path, Object fileKey) {
        try {
            Object current = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // Already gone, or replaced by another listener's socket: leave it.
        }
    }
}
