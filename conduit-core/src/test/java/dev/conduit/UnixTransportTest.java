package dev.conduit;

import dev.conduit.internal.posix.Users;
import dev.conduit.testing.TempDir;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;

import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnixTransportTest extends StreamSocketContract {
    private TempDir dir;

    @Override
    protected String endpoint() throws Exception {
        if (dir == null) {
            dir = track(new TempDir());
        }
        return "unix:" + dir.resolve("s" + System.nanoTime() % 100000 + ".sock") + "?maxFrame=1m";
    }

    @Override
    protected SocketChannel rawConnect(Endpoint endpoint) throws Exception {
        return SocketChannel.open(UnixDomainSocketAddress.of(endpoint.address()));
    }

    private Path socketOf(Listener listener) {
        return Path.of(listener.endpoint().address());
    }

    @Test
    void socketFileIsPrivateAndRemovedOnClose() throws Exception {
        Listener listener = listen();
        Path path = socketOf(listener);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        listener.close();
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
        try (var stream = Files.list(dir.path())) {
            assertEquals(0, stream.count(), "staging directory left behind");
        }
    }

    @Test
    void modeOptionSetsTheSocketFileMode() throws Exception {
        dir = track(new TempDir());
        try (Listener listener = Conduit.listen("unix:" + dir.resolve("m.sock") + "?mode=0660")) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socketOf(listener))));
        }
    }

    @Test
    void staleSocketIsReplacedLiveOneIsInUse() throws Exception {
        dir = track(new TempDir());
        Path path = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "the JDK removed the socket file itself");
        Listener listener = track(Conduit.listen("unix:" + path));
        BindException e = assertThrows(BindException.class, () -> Conduit.listen("unix:" + path));
        assertEquals("unix:" + path + ": listen: address already in use by a live listener at " + path,
                e.getMessage());
        Connection probe = track(listener.accept(Duration.ofSeconds(10)));
        assertThrows(ConnectionClosedException.class, () -> probe.receive(Duration.ofSeconds(10)),
                "the liveness probe is seen as a client that closes at once");
        Connection client = track(Conduit.connect("unix:" + path));
        track(listener.accept(Duration.ofSeconds(10))).send("ok");
        assertEquals("ok", client.receiveString(Duration.ofSeconds(10)));
    }

    @Test
    void refusesToReplaceSymlinksAndOtherFiles() throws Exception {
        dir = track(new TempDir());
        Path target = Files.writeString(dir.resolve("victim"), "keep me");
        Path link = Files.createSymbolicLink(dir.resolve("link.sock"), target);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> Conduit.listen("unix:" + link));
        assertEquals("unix:" + link + ": listen: " + link + " is a symbolic link; refusing to replace it",
                e.getMessage());
        e = assertThrows(FileAlreadyExistsException.class, () -> Conduit.listen("unix:" + target));
        assertEquals("unix:" + target + ": listen: " + target + " exists and is not a socket", e.getMessage());
        assertEquals("keep me", Files.readString(target));
    }

    @Test
    void connectWithoutListenerFailsClearlyOrWaits() throws Exception {
        dir = track(new TempDir());
        Path path = dir.resolve("later.sock");
        var e = assertThrows(java.io.IOException.class, () -> Conduit.connect("unix:" + path));
        assertEquals("unix:" + path + ": connect: no listener (no socket file at " + path + ")", e.getMessage());
        FutureTask<Connection> connecting = new FutureTask<>(
                () -> Conduit.connect("unix:" + path, Duration.ofSeconds(10)));
        Thread client = Thread.ofPlatform().daemon().start(connecting);
        Waits.until("connect has failed once and waits to retry", Duration.ofSeconds(10),
                () -> client.getState() == Thread.State.TIMED_WAITING && Waits.isIn(client, "Sockets", "connect"));
        track(Conduit.listen("unix:" + path));
        track(connecting.get(10, TimeUnit.SECONDS));
    }

    @Test
    void reportsPeerCredentialsAndEnforcesAllowLists() throws Exception {
        String me = Users.userName(Users.getuid()).orElseThrow();
        Connection[] p = pair();
        track(p[0]);
        track(p[1]);
        assertEquals(me, p[1].peerCredentials().orElseThrow().user());
        assertEquals(me, p[0].peerCredentials().orElseThrow().user());

        dir = track(new TempDir());
        String allowed = "unix:" + dir.resolve("a.sock") + "?allowUsers=" + Users.getuid();
        Listener open = track(Conduit.listen(allowed));
        track(Conduit.connect(open.endpoint()));
        assertTrue(open.accept(Duration.ofSeconds(10)) != null);

        String other = Users.uidOf("nobody").isPresent() ? "nobody" : "0";
        Listener closed = track(Conduit.listen("unix:" + dir.resolve("b.sock") + "?allowUsers=" + other));
        Connection refused = track(Conduit.connect(closed.endpoint()));
        assertNull(closed.accept(Duration.ofMillis(200)));
        assertThrows(ConnectionClosedException.class, () -> refused.receive(Duration.ofSeconds(10)));

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("unix:" + dir.resolve("c.sock") + "?allowUsers=no-such-user-xyz"));
        assertEquals("endpoint 'unix:" + dir.resolve("c.sock") + "?allowUsers=no-such-user-xyz': allowUsers names"
                + " no-such-user-xyz, but this system has no such user", bad.getMessage());
    }

    @Test
    void unknownOptionIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conduit.listen("unix:/tmp/x.sock?maxframe=5"));
        assertEquals("endpoint 'unix:/tmp/x.sock?maxframe=5': unknown option 'maxframe' for unix (known: ack,"
                + " ackTimeout, allowGroups, allowUsers, frameTimeout, framing, idleTimeout, maxFrame, mode, receiveBudget,"
                + " serverUsers, spin)", e.getMessage());
    }
}
