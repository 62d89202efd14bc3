package dev.conduit.bench.link;

import dev.conduit.bench.Link;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/** JeroMQ PAIR sockets over TCP loopback (JeroMQ has no native Unix-socket ipc). */
public final class ZmqLink implements Link {
    private final ZContext context;
    private final ZMQ.Socket socket;
    private int lastLength;

    private ZmqLink(ZContext context, ZMQ.Socket socket) {
        this.context = context;
        this.socket = socket;
    }

    /** @return a link bound to a free port on 127.0.0.1; {@link #endpoint} tells which */
    public static ZmqLink bind() {
        ZContext context = new ZContext();
        ZMQ.Socket socket = context.createSocket(SocketType.PAIR);
        socket.bindToRandomPort("tcp://127.0.0.1");
        return new ZmqLink(context, socket);
    }

    /**
     * Connects and makes one round trip (the server echoes it as a ping) before returning:
     * JeroMQ now and then takes seconds to bring a new connection up, which would otherwise land
     * in the first measured round trip, or fill a whole phase of a smoke run.
     *
     * @return a link connected to {@code endpoint}
     */
    public static ZmqLink connect(String endpoint) {
        ZContext context = new ZContext();
        ZMQ.Socket socket = context.createSocket(SocketType.PAIR);
        socket.connect(endpoint);
        ZmqLink link = new ZmqLink(context, socket);
        link.send(new byte[] {1}, 1);
        link.receive();
        return link;
    }

    /** @return the endpoint this link is bound to */
    public String endpoint() {
        return socket.getLastEndpoint();
    }

    @Override
    public void send(byte[] message, int length) {
        if (!socket.send(message, 0, length, 0)) {
            throw new IllegalStateException("zmq: send failed: " + socket.errno());
        }
    }

    @Override
    public byte[] receive() {
        byte[] m = socket.recv(0);
        if (m == null) {
            throw new IllegalStateException("zmq: receive failed: " + socket.errno());
        }
        lastLength = m.length;
        return m;
    }

    @Override
    public int lastLength() {
        return lastLength;
    }

    @Override
    public void close() {
        context.close();
    }
}
