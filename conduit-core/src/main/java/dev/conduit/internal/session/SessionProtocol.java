package dev.conduit.internal.session;

import dev.conduit.Endpoint;
import dev.conduit.internal.Options;
import dev.conduit.internal.ipcez.IpcezAck;
import dev.conduit.internal.frame.Framing;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The session protocol's constants and options: tagged frames on top of raw Conduit frames,
 * as {@code docs/wire-format.md} draws them. Every frame's payload starts with a one-byte type;
 * all numbers are big-endian.
 *
 * <pre>
 *   HELLO    00 "conduit-session 1"          each side's first frame
 *   DATA     01 u64 seq, message bytes       a message; seq 0: no ack wanted, else the receiver ACKs seq
 *                                            once its application took it
 *   ACK      02 u64 seq
 *   REQUEST  03 u64 id, request bytes
 *   REPLY    04 u64 id, reply bytes
 *   PING     05 u64 nonce                    answered by PONG with the same nonce
 *   PONG     06 u64 nonce
 *   RESUME   07 u64 session id               a client's, before its DATA: acknowledged messages keep
 *                                            their seq across this session's connections, so the
 *                                            listener drops a copy it already delivered
 *   SUBSCRIBE 08 u16 count, count x (u8 n, n bytes)   the sender's subject prefixes, replacing its last set
 *   PUBLISH  09 u64 seq, u8 n, n bytes subject, message   DATA with a subject ({@link Subjects})
 * </pre>
 */
public final class SessionProtocol {
    static final byte HELLO = 0;
    static final byte DATA = 1;
    static final byte ACK = 2;
    static final byte REQUEST = 3;
    static final byte REPLY = 4;
    static final byte PING = 5;
    static final byte PONG = 6;
    static final byte RESUME = 7;
    static final byte SUBSCRIBE = 8;
    static final byte PUBLISH = 9;
    static final int VERSION = 1;
    static final String HELLO_PREFIX = "conduit-session ";
    /** The type byte and a u64: the bytes in front of a DATA, REQUEST or REPLY payload. */
    static final int HEADER = 9;

    static final String PROTOCOL = "protocol";
    static final String ACK_OPTION = "ack";
    static final String ACK_TIMEOUT = "ackTimeout";
    static final String HEARTBEAT = "heartbeat";
    static final String HEARTBEAT_TIMEOUT = "heartbeatTimeout";
    static final Set<String> OPTIONS = Set.of(PROTOCOL, ACK_OPTION, ACK_TIMEOUT, HEARTBEAT, HEARTBEAT_TIMEOUT);
    private static final long MAX_TIMEOUT_NANOS = TimeUnit.HOURS.toNanos(1);

    private SessionProtocol() {
    }

    /**
     * @return whether the endpoint asks for the session protocol ({@code ?protocol=conduit})
     * @throws IllegalArgumentException if {@code protocol} is neither {@code conduit} nor {@code raw},
     *                                  session options come without it, or {@code ack=ipcez} comes with it
     *                                  or on another scheme than {@code unix:}
     */
    public static boolean requested(Endpoint endpoint) {
        String protocol = endpoint.option(PROTOCOL).orElse("raw");
        if (!protocol.equals("conduit") && !protocol.equals("raw")) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': protocol=" + protocol
                    + " (expected conduit or raw)");
        }
        boolean on = protocol.equals("conduit");
        if (on && Framing.of(endpoint) != Framing.FRAMES) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': protocol=conduit needs"
                    + " framing=frames (its tagged messages are frames); framing=" + Framing.of(endpoint).text()
                    + " is for peers that read lines or bytes");
        }
        if (IpcezAck.requested(endpoint)) {
            checkIpcez(endpoint, on);
            return false;
        }
        for (String name : OPTIONS) {
            if (!on && !name.equals(PROTOCOL) && endpoint.option(name).isPresent()) {
                throw new IllegalArgumentException("endpoint '" + endpoint + "': " + name
                        + " needs protocol=conduit");
            }
        }
        return on;
    }

    /** {@code ack=ipcez} is ipcez's semaphores on a Unix socket, not the session's acknowledgements. */
    private static void checkIpcez(Endpoint endpoint, boolean session) {
        if (session) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': ack=ipcez (ipcez's semaphore"
                    + " acknowledgements) cannot be combined with protocol=conduit, which acknowledges in its own"
                    + " frames: use protocol=conduit&ack=true, or ack=ipcez alone");
        }
        if (!endpoint.scheme().equals("unix")) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': ack=ipcez works on unix: and"
                    + " bare local endpoints, not " + endpoint.scheme() + ":");
        }
        for (String name : OPTIONS) {
            if (!name.equals(PROTOCOL) && !name.equals(ACK_OPTION) && !name.equals(ACK_TIMEOUT)
                    && endpoint.option(name).isPresent()) {
                throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': " + name
                        + " needs protocol=conduit");
            }
        }
    }

    /**
     * @return the endpoint the transport sees: without the session's options, and with room in
     *         {@code maxFrame} for the session's header
     */
    public static Endpoint rawEndpoint(Endpoint endpoint) {
        Map<String, String> options = new LinkedHashMap<>(endpoint.options());
        options.keySet().removeAll(OPTIONS);
        long maxFrame = (long) Options.maxFrame(endpoint) + HEADER;
        options.put("maxFrame", Long.toString(Math.min(maxFrame, Integer.MAX_VALUE)));
        return Endpoint.of(endpoint.scheme(), endpoint.address(), options);
    }

    /** @return whether {@code send} waits for the peer's application to take each message ({@code ?ack=true}) */
    static boolean acknowledged(Endpoint endpoint) {
        String ack = endpoint.option(ACK_OPTION).orElse("false");
        if (!ack.equals("true") && !ack.equals("false")) {
            throw new IllegalArgumentException("endpoint '" + endpoint + "': ack=" + ack
                    + " (expected true or false; ack=ipcez without protocol=conduit)");
        }
        return ack.equals("true");
    }

    /**
     * @return whether a client on {@code endpoint} can resume its session on a new connection
     *         (RESUME): it speaks the session protocol with acknowledgements on
     */
    public static boolean resumable(Endpoint endpoint) {
        return requested(endpoint) && acknowledged(endpoint);
    }

    static long ackTimeoutNanos(Endpoint endpoint) {
        return Options.durationNanos(endpoint, ACK_TIMEOUT, TimeUnit.SECONDS.toNanos(5), 1_000_000,
                MAX_TIMEOUT_NANOS);
    }

    /** @return the heartbeat interval, 0 for none (the default) */
    static long heartbeatNanos(Endpoint endpoint) {
        return Options.durationNanos(endpoint, HEARTBEAT, 0, 1_000_000, MAX_TIMEOUT_NANOS);
    }

    /** @return how long silence may last before the peer counts as gone: 3 heartbeats by default */
    static long heartbeatTimeoutNanos(Endpoint endpoint, long heartbeatNanos) {
        return Options.durationNanos(endpoint, HEARTBEAT_TIMEOUT, 3 * heartbeatNanos, 1_000_000, MAX_TIMEOUT_NANOS);
    }

    static byte[] hello() {
        byte[] text = (HELLO_PREFIX + VERSION).getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[1 + text.length];
        frame[0] = HELLO;
        System.arraycopy(text, 0, frame, 1, text.length);
        return frame;
    }

    /**
     * @return null if {@code frame} is a hello of this version, else why not, for the handshake error
     */
    static String checkHello(byte[] frame) {
        String text = frame.length > 0 && frame[0] == HELLO
                ? new String(frame, 1, frame.length - 1, StandardCharsets.US_ASCII) : null;
        if (text == null || !text.startsWith(HELLO_PREFIX)) {
            return "the peer does not speak the session protocol: its first message (" + frame.length
                    + " bytes) is not a session hello; both ends need ?protocol=conduit";
        }
        String version = text.substring(HELLO_PREFIX.length());
        if (!version.equals(Integer.toString(VERSION))) {
            return "the peer speaks session protocol version " + version + "; this side speaks " + VERSION;
        }
        return null;
    }

    /**
     * Tells a raw client that it reached a listener with {@code ?protocol=conduit}: such a
     * listener's first message is its HELLO. Leaves {@code message}'s position as it was.
     *
     * @param message a message as a raw connection received it
     * @return whether it is a HELLO of any version: the byte {@code 00}, the ASCII
     *         {@code "conduit-session "}, then one to nine ASCII digits and nothing more
     */
    public static boolean isHello(ByteBuffer message) {
        int start = message.position();
        int digits = message.remaining() - 1 - HELLO_PREFIX.length();
        if (digits < 1 || digits > 9 || message.get(start) != HELLO) {
            return false;
        }
        for (int i = 0; i < HELLO_PREFIX.length(); i++) {
            if (message.get(start + 1 + i) != HELLO_PREFIX.charAt(i)) {
                return false;
            }
        }
        for (int i = message.limit() - digits; i < message.limit(); i++) {
            if (message.get(i) < '0' || message.get(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** @return a frame of {@code type}, a u64, then {@code length} bytes of room (filled by the caller) */
    static byte[] frame(byte type, long number, int length) {
        byte[] frame = new byte[HEADER + length];
        frame[0] = type;
        ByteBuffer.wrap(frame).putLong(1, number);
        return frame;
    }

    static long number(byte[] frame) {
        return ByteBuffer.wrap(frame).getLong(1);
    }
}
