package dev.conduit.internal.ipcez;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Semaphores;
import dev.conduit.internal.unix.UnixTransport;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * ipcez's acknowledgements ({@code ?ack=ipcez} on {@code unix:} and bare local endpoints): the
 * option, the semaphore names, and the wrapping of a Unix socket's listener and connections.
 * {@code docs/ipcez.md} describes the protocol semaphore by semaphore.
 *
 * <p>For the endpoint string E an ipcez program gives {@code socket_init} (the socket path, as
 * written), S is E with every {@code /}, {@code \} and {@code .} replaced by {@code _}, cut to
 * {@value #MAX_BASE} characters ({@code default} for an empty E); the semaphores are
 * {@code /ipcez_S_data_ready} and {@code /ipcez_S_data_acked}.
 */
public final class IpcezAck {
    /** The option, shared with the session protocol's {@code ack=true}. */
    public static final String ACK = "ack";
    /** The value that asks for ipcez's acknowledgements. */
    public static final String IPCEZ = "ipcez";
    /** The most to wait for an acknowledgement, shared with the session protocol. */
    public static final String ACK_TIMEOUT = "ackTimeout";
    static final int MAX_BASE = 231;
    private static final long DEFAULT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MAX_TIMEOUT_NANOS = TimeUnit.HOURS.toNanos(1);

    private IpcezAck() {
    }

    /** @return whether the endpoint asks for ipcez's acknowledgements ({@code ?ack=ipcez}) */
    public static boolean requested(Endpoint endpoint) {
        return endpoint.option(ACK).filter(IPCEZ::equals).isPresent();
    }

    /**
     * @param endpointString the string an ipcez program passes to {@code socket_init}
     * @return S, the part of both semaphores' names that comes from the endpoint
     */
    static String base(String endpointString) {
        if (endpointString.isEmpty()) {
            return "default";
        }
        String replaced = endpointString.replace('/', '_').replace('\\', '_').replace('.', '_');
        return replaced.codePoints().limit(MAX_BASE)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    /** @return {@code /ipcez_S_data_ready} for the endpoint */
    public static String readyName(Endpoint endpoint) {
        return "/ipcez_" + base(endpoint.address()) + "_data_ready";
    }

    /** @return {@code /ipcez_S_data_acked} for the endpoint */
    public static String ackedName(Endpoint endpoint) {
        return "/ipcez_" + base(endpoint.address()) + "_data_acked";
    }

    static long ackTimeoutNanos(Endpoint endpoint) {
        return Options.durationNanos(endpoint, ACK_TIMEOUT, DEFAULT_TIMEOUT_NANOS, 1_000_000, MAX_TIMEOUT_NANOS);
    }

    /**
     * Makes the endpoint's semaphores afresh (sweeping any a dead listener left) and wraps the
     * bound socket listener, whose accepted connections then acknowledge and wait for
     * acknowledgements. Call once the socket is bound: only then is no live listener using them.
     *
     * @param endpoint the endpoint, with {@code ?ack=ipcez}
     * @param sockets  the bound listener; owned (closed if this fails)
     * @throws IOException if the semaphores cannot be made, naming the call and errno
     */
    public static Listener listen(Endpoint endpoint, Listener sockets) throws IOException {
        AckSemaphores semaphores;
        try {
            checkSupported(endpoint);
            semaphores = AckSemaphores.sweepAndCreate(readyName(endpoint), ackedName(endpoint), mode(endpoint));
        } catch (IOException | RuntimeException e) {
            sockets.close();
            throw e;
        }
        return new IpcezListener(endpoint, sockets, semaphores);
    }

    /**
     * Opens the endpoint's semaphores as a client (never unlinking them: the server may be a
     * foreign program) and wraps the connection.
     *
     * @param endpoint the endpoint, with {@code ?ack=ipcez}
     * @param raw      the connected socket; owned (closed if this fails)
     * @throws IOException if the semaphores cannot be opened, naming the call and errno
     */
    public static Connection connect(Endpoint endpoint, Connection raw) throws IOException {
        AckSemaphores semaphores;
        try {
            checkSupported(endpoint);
            semaphores = AckSemaphores.open(readyName(endpoint), ackedName(endpoint), mode(endpoint));
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        return new IpcezConnection(endpoint, raw, semaphores);
    }

    private static int mode(Endpoint endpoint) {
        return Options.mode(endpoint, "mode", UnixTransport.DEFAULT_MODE);
    }

    private static void checkSupported(Endpoint endpoint) throws IOException {
        ackTimeoutNanos(endpoint); // a malformed time-out fails before anything is made
        String why = Semaphores.unavailability().orElse(null);
        if (why != null) {
            throw new TransportUnavailableException(endpoint + ": ack=ipcez: " + why);
        }
    }
}
