package dev.conduit.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.auth.Authkey;
import dev.conduit.internal.jfr.ConnectEvent;
import dev.conduit.internal.jfr.JfrEvents;
import dev.conduit.internal.reconnect.ReconnectPolicy;
import dev.conduit.internal.reconnect.ReconnectingConnection;
import dev.conduit.internal.session.Resumptions;
import dev.conduit.internal.session.SessionConnection;
import dev.conduit.internal.session.SessionProtocol;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Listens and connects through whichever transport serves an endpoint's scheme (built-in or
 * plugged in), then runs the handshakes its options ask for over the transport's frames:
 * Python's authkey challenge first, then the session protocol's hellos; a client with
 * {@code ?reconnect=true} gets all of that again on each new connection. The layers know
 * nothing of the transport below, so a plugged-in transport gets them too.
 */
public final class Layers {
    private static final SecureRandom ID_SOURCE = new SecureRandom();

    private Layers() {
    }

    /**
     * A handshake over a made connection, asked for by endpoint options the transport never
     * sees. {@code shown} is the endpoint as the application wrote it (with the listener's
     * resolved address), for messages; {@code plain} the same without its authkey.
     */
    private interface Layer {
        /** @return the endpoint the layer below is given: without this layer's options */
        Endpoint below(Endpoint endpoint);

        /** @return the connection to hand up, after this side's part of the handshake */
        Connection wrap(Connection connection, boolean listener, Endpoint shown, Endpoint plain)
                throws IOException;
    }

    private record AuthkeyLayer(Authkey authkey) implements Layer {
        @Override
        public Endpoint below(Endpoint endpoint) {
            return Authkey.strip(endpoint);
        }

        @Override
        public Connection wrap(Connection connection, boolean listener, Endpoint shown, Endpoint plain)
                throws IOException {
            if (listener) {
                authkey.asListener(connection, shown);
            } else {
                authkey.asClient(connection, shown);
            }
            return connection;
        }
    }

    /**
     * @param resumptions on a listener, its sessions that clients may resume; else null
     * @param resumeId    on a reconnecting client with acknowledgements, its session's id; else 0
     */
    private record SessionLayer(Resumptions resumptions, long resumeId) implements Layer {
        @Override
        public Endpoint below(Endpoint endpoint) {
            return SessionProtocol.rawEndpoint(endpoint);
        }

        @Override
        public Connection wrap(Connection connection, boolean listener, Endpoint shown, Endpoint plain)
                throws IOException {
            return SessionConnection.open(plain, connection, listener ? resumptions : null, resumeId);
        }
    }

    /**
     * Listens on {@code endpoint}; a listener with layers runs them per client on
     * {@link HandshakeListener}, so a slow handshake holds no other client up.
     *
     * @param endpoint a two-way endpoint
     * @return the listener
     * @throws IOException as the transport's {@code listen}, or if an option file cannot be read
     */
    public static Listener listen(Endpoint endpoint) throws IOException {
        if (ReconnectPolicy.requested(endpoint)) {
            throw new IllegalArgumentException("endpoint '" + endpoint.redacted() + "': listen: reconnect is a"
                    + " client's option (a client that dials again reaches the listener as a new connection)");
        }
        List<Layer> layers = layers(endpoint, new Resumptions(), 0);
        if (layers.isEmpty()) {
            return Transports.forEndpoint(endpoint).listen(endpoint);
        }
        Endpoint raw = below(layers, endpoint);
        Listener sockets = Transports.forEndpoint(raw).listen(raw);
        // The address the transport resolved (a port picked for port 0), with the layers' options.
        Endpoint stripped = Authkey.strip(endpoint);
        Endpoint plain = Endpoint.of(stripped.scheme(), sockets.endpoint().address(), stripped.options());
        Endpoint shown = Authkey.restore(plain, endpoint);
        return new HandshakeListener(shown, sockets, c -> wrap(layers, c, true, shown, plain));
    }

    /**
     * Connects to {@code endpoint} and runs the client's side of its layers.
     *
     * @param endpoint a two-way endpoint
     * @param timeout  as the transport's {@code connect}
     * @return the connection
     * @throws IOException as the transport's {@code connect}, or if a handshake failed
     */
    public static Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        if (ReconnectPolicy.requested(endpoint)) {
            // Outermost: each new connection gets the transport and every layer below afresh.
            Endpoint below = ReconnectPolicy.strip(endpoint);
            // With acknowledgements, one session spans the connections, so the listener can drop
            // a message sent again after a loss that it had delivered already.
            long resumeId = SessionProtocol.resumable(below) ? newSessionId() : 0;
            Connection first = connectOnce(below, timeout, resumeId, null);
            return ReconnectingConnection.open(endpoint, first,
                    refused -> connectOnce(below, Duration.ZERO, resumeId, refused), resumeId != 0);
        }
        return connectOnce(endpoint, timeout, 0, null);
    }

    private static long newSessionId() {
        long id;
        do {
            id = ID_SOURCE.nextLong();
        } while (id == 0);
        return id;
    }

    /**
     * One dial: the transport, then the layers; a JFR Connect event for each, re-dials included.
     *
     * @param refused told of a handshake that failed after the transport connected, or null
     */
    private static Connection connectOnce(Endpoint endpoint, Duration timeout, long resumeId,
            Consumer<IOException> refused) throws IOException {
        ConnectEvent event = JfrEvents.connectBegins();
        try {
            List<Layer> layers = layers(endpoint, null, resumeId);
            Endpoint raw = below(layers, endpoint);
            Connection connection = Transports.forEndpoint(raw).connect(raw, timeout);
            Connection made;
            try {
                made = wrap(layers, connection, false, endpoint, Authkey.strip(endpoint));
            } catch (IOException e) {
                if (refused != null) {
                    refused.accept(e);
                }
                throw e;
            }
            JfrEvents.connectEnds(event, endpoint.redacted(), made.toString(), null);
            return made;
        } catch (IOException | RuntimeException e) {
            JfrEvents.connectEnds(event, endpoint.redacted(), null, e);
            throw e;
        }
    }

    /** The layers {@code endpoint} asks for, outermost first. */
    private static List<Layer> layers(Endpoint endpoint, Resumptions resumptions, long resumeId) throws IOException {
        List<Layer> layers = new ArrayList<>(2);
        Authkey authkey = Authkey.of(endpoint);
        if (authkey != null) {
            layers.add(new AuthkeyLayer(authkey));
        }
        if (SessionProtocol.requested(Authkey.strip(endpoint))) {
            layers.add(new SessionLayer(resumptions, resumeId));
        }
        return layers;
    }

    private static Connection wrap(List<Layer> layers, Connection connection, boolean listener, Endpoint shown,
            Endpoint plain) throws IOException {
        Connection layered = connection;
        for (Layer layer : layers) {
            layered = layer.wrap(layered, listener, shown, plain);
        }
        return layered;
    }

    private static Endpoint below(List<Layer> layers, Endpoint endpoint) {
        Endpoint e = endpoint;
        for (Layer layer : layers) {
            e = layer.below(e);
        }
        return e;
    }
}
