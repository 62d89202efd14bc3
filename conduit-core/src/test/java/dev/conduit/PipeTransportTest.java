package dev.conduit;

import org.junit.jupiter.api.Test;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pipe:NAME}: the .NET / Kiwi convention, a Unix socket at $TMPDIR/CoreFxPipe_NAME. */
class PipeTransportTest extends StreamSocketContract {
    private static Path tmp() {
        String t = System.getenv("TMPDIR");
        return Path.of(t == null || t.isEmpty() ? "/tmp" : t);
    }

    @Override
    protected String endpoint() {
        return "pipe:conduit-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "?maxFrame=1m";
    }

    @Override
    protected SocketChannel rawConnect(Endpoint endpoint) throws Exception {
        return SocketChannel.open(UnixDomainSocketAddress.of(tmp().resolve("CoreFxPipe_" + endpoint.address())));
    }

    @Test
    void socketLivesWhereDotNetLooksForIt() throws Exception {
        String name = "conduit-kiwi-" + ProcessHandle.current().pid();
        Path expected = tmp().resolve("CoreFxPipe_" + name);
        try (Listener listener = Conduit.listen("pipe:" + name)) {
            assertTrue(Files.exists(expected, LinkOption.NOFOLLOW_LINKS));
            try (Connection c = Conduit.connect("unix:" + expected); Connection s = listener.accept()) {
                c.send("from a .NET-style client");
                assertEquals("from a .NET-style client", s.receiveString());
            }
        }
        assertFalse(Files.exists(expected, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void rejectsNamesThatLeaveTheDirectory() {
        for (String bad : new String[] {"a/b", "..", "x..y", "../etc"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Conduit.listen("pipe:" + bad));
            assertEquals("endpoint 'pipe:" + bad + "': pipe name '" + bad + "' must not contain '/' or '..'",
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Conduit.listen("pipe:a\0b"));
        assertThrows(IllegalArgumentException.class, () -> Conduit.listen("pipe:" + "n".repeat(120)));
    }
}
