package dev.conduit;

import dev.conduit.testing.TempDir;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/** The socket contract again with {@code spin=0}: receivers go straight to the selector. */
class UnixBlockingTransportTest extends StreamSocketContract {
    private TempDir dir;

    @Override
    protected String endpoint() throws Exception {
        if (dir == null) {
            dir = track(new TempDir());
        }
        return "unix:" + dir.resolve("b" + System.nanoTime() % 100000 + ".sock") + "?maxFrame=1m&spin=0";
    }

    @Override
    protected SocketChannel rawConnect(Endpoint endpoint) throws Exception {
        return SocketChannel.open(UnixDomainSocketAddress.of(endpoint.address()));
    }
}
