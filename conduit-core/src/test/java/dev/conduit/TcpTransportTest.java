package dev.conduit;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpTransportTest extends StreamSocketContract {
    @Override
    protected String endpoint() {
        return "tcp://127.0.0.1:0?maxFrame=1m";
    }

    @Override
    protected SocketChannel rawConnect(Endpoint endpoint) throws Exception {
        String a = endpoint.address();
        int port = Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
        return SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    }

    @Test
    void portZeroIsResolvedInTheListenerEndpoint() throws Exception {
        Listener listener = listen();
        String address = listener.endpoint().address();
        assertTrue(address.startsWith("127.0.0.1:"), address);
        assertNotEquals("127.0.0.1:0", address);
        assertTrue(listener.endpoint().toString().endsWith("?maxFrame=1m"), listener.endpoint().toString());
    }
}
