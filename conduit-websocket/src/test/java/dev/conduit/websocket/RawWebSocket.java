package dev.conduit.websocket;

import dev.conduit.Endpoint;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A WebSocket client written by hand, for peers that misbehave on purpose. */
final class RawWebSocket {
    private RawWebSocket() {
    }

    /**
     * Connects to the listener at {@code endpoint} and does the opening handshake for {@code path}.
     *
     * @return the socket, after the server's 101 response was read
     * @throws IOException if the server did not switch protocols
     */
    static SocketChannel handshake(Endpoint endpoint, String path) throws IOException {
        return handshake(endpoint, path, "");
    }

    /**
     * As {@link #handshake(Endpoint, String)}, with more request headers.
     *
     * @param headers header lines, each ending in CRLF
     */
    static SocketChannel handshake(Endpoint endpoint, String path, String headers) throws IOException {
        String hostPort = endpoint.address().substring(0, endpoint.address().indexOf('/'));
        int colon = hostPort.lastIndexOf(':');
        SocketChannel socket = SocketChannel.open(new InetSocketAddress(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1))));
        String key = Base64.getEncoder().encodeToString("conduit-test-key".getBytes(StandardCharsets.US_ASCII));
        socket.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" + headers
                + "\r\n")
                .getBytes(StandardCharsets.US_ASCII)));
        StringBuilder response = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!response.toString().endsWith("\r\n\r\n")) {
            one.clear();
            if (socket.read(one) < 0) {
                socket.close();
                throw new IOException("closed during the handshake; got: " + response);
            }
            response.append((char) one.get(0));
        }
        if (!response.toString().startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("handshake refused: " + response.toString().lines().findFirst().orElse(""));
        }
        return socket;
    }

    /** Sends one final frame of {@code opcode}, masked as a client must, with a fixed mask. */
    static void sendMasked(SocketChannel socket, int opcode, byte[] payload) throws IOException {
        if (payload.length > 125) {
            throw new IllegalArgumentException("only short frames: " + payload.length + " bytes");
        }
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        ByteBuffer frame = ByteBuffer.allocate(6 + payload.length);
        frame.put((byte) (0x80 | opcode)).put((byte) (0x80 | payload.length)).put(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.put((byte) (payload[i] ^ mask[i % 4]));
        }
        socket.write(frame.flip());
    }

    /**
     * Sends the header of a masked binary frame, final or not, announcing {@code length} bytes
     * and a zero mask, so the payload that follows is sent as it is.
     */
    static void sendHeader(SocketChannel socket, boolean fin, long length) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(14);
        header.put((byte) ((fin ? 0x80 : 0) | 0x2));
        if (length < 126) {
            header.put((byte) (0x80 | length));
        } else if (length < 65536) {
            header.put((byte) (0x80 | 126)).putShort((short) length);
        } else {
            header.put((byte) (0x80 | 127)).putLong(length);
        }
        header.putInt(0);
        socket.write(header.flip());
    }

    /**
     * Reads the close frame the server sends, and then the end of the stream.
     *
     * @return its close code
     * @throws IOException if something else came, the stream did not end after it, or the time-out passed
     */
    static int readCloseCode(SocketChannel socket) throws IOException {
        byte[] head = read(socket, 2);
        if ((head[0] & 0xFF) != 0x88 || head[1] < 2) {
            throw new IOException("expected a close frame with a code, got " + (head[0] & 0xFF) + " " + head[1]);
        }
        byte[] body = read(socket, head[1]);
        if (socket.socket().getInputStream().read() != -1) {
            throw new IOException("bytes after the close frame");
        }
        return (body[0] & 0xFF) << 8 | body[1] & 0xFF;
    }

    /**
     * Reads exactly {@code n} bytes through the socket's stream, so its {@code soTimeout} holds.
     *
     * @throws IOException if the stream ends first, or the time-out passes
     */
    static byte[] read(SocketChannel socket, int n) throws IOException {
        byte[] bytes = socket.socket().getInputStream().readNBytes(n);
        if (bytes.length < n) {
            throw new IOException("the stream ended after " + bytes.length + " of " + n + " bytes");
        }
        return bytes;
    }
}
