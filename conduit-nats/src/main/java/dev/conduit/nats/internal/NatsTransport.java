package dev.conduit.nats.internal;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.spi.TransportProvider;
import dev.conduit.spi.support.EndpointOptions;
import dev.conduit.spi.support.Timeouts;
import io.nats.client.JetStream;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;

/**
 * {@code nats://HOST:PORT/SUBJECT}: NATS, through the official Java client, found by Conduit
 * through {@link java.util.ServiceLoader}. The scheme opens either way: {@code openSender}
 * publishes ({@link NatsPublisher}), {@code openReceiver} subscribes ({@link NatsSubscriber},
 * {@link JetStreamReceiver} with {@code ?stream=}), and {@code listen}/{@code connect} give
 * request/reply connections ({@link NatsListener}, {@link NatsConnection}). Options:
 * {@link NatsSettings}; the mapping is described in docs/nats.md.
 */
public final class NatsTransport implements TransportProvider {
    /**
     * Makes the provider; {@link java.util.ServiceLoader} calls this when Conduit first looks for
     * a transport. Holds no state.
     */
    public NatsTransport() {
        // Public and without arguments, as ServiceLoader requires.
    }

    @Override
    public Set<String> schemes() {
        return Set.of("nats");
    }

    @Override
    public Set<String> eitherWaySchemes() {
        return Set.of("nats");
    }

    @Override
    public Set<String> optionNames() {
        return NatsSettings.NAMES;
    }

    @Override
    public Listener listen(Endpoint endpoint) throws IOException {
        NatsSettings s = twoWay(endpoint, "listen");
        NatsClient client = NatsClient.open(s, "listen", 0);
        return new NatsListener(s, client, maxFrame(s, client, "listen"));
    }

    @Override
    public Connection connect(Endpoint endpoint, Duration timeout) throws IOException {
        NatsSettings s = twoWay(endpoint, "connect");
        long waitNanos = Timeouts.waitNanos(timeout);
        long deadline = System.nanoTime() + waitNanos;
        NatsClient client = NatsClient.open(s, "connect", waitNanos);
        try {
            return NatsConnector.connect(s, client, maxFrame(s, client, "connect"), deadline, timeout);
        } catch (IOException | RuntimeException e) {
            client.release();
            throw e;
        }
    }

    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        NatsSettings s = NatsSettings.of(endpoint);
        if (s.hasWildcard()) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': openSender: subject " + s.subject()
                    + " has a wildcard ('*' or '>'), which only a subscriber may use");
        }
        if (s.durable() != null || s.from() != null || s.queue() != null) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': openSender: durable, from and queue are"
                    + " for receivers");
        }
        NatsClient client = NatsClient.open(s, "openSender", Timeouts.waitNanos(timeout));
        try {
            int maxFrame = maxFrame(s, client, "openSender");
            JetStream js = null;
            if (s.stream() != null) {
                JetStreams.ensureStream(s, client.connection().jetStreamManagement(), "openSender");
                js = client.connection().jetStream();
            }
            return new NatsPublisher(s, client, js, maxFrame);
        } catch (IOException | RuntimeException e) {
            client.release();
            throw e;
        }
    }

    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        NatsSettings s = NatsSettings.of(endpoint);
        if (s.stream() != null && s.queue() != null) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': openReceiver: queue is for core NATS;"
                    + " receivers sharing a JetStream consumer name the same ?durable= instead");
        }
        NatsClient client = NatsClient.open(s, "openReceiver", 0);
        try {
            return s.stream() == null ? new NatsSubscriber(s, client) : JetStreamReceiver.open(s, client);
        } catch (IOException | RuntimeException e) {
            client.release();
            throw e;
        }
    }

    private static NatsSettings twoWay(Endpoint endpoint, String call) {
        NatsSettings s = NatsSettings.of(endpoint);
        if (s.stream() != null) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': " + call + ": stream is for"
                    + " Conduit.openSender and Conduit.openReceiver; request/reply runs on core NATS");
        }
        if (s.hasWildcard()) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': " + call + ": subject " + s.subject()
                    + " has a wildcard ('*' or '>'); a listener serves, and a client connects to, one subject");
        }
        return s;
    }

    /**
     * The longest message to send: {@code ?maxFrame=} if written, else what the server takes
     * (or 16 MiB if that is larger). The server takes its {@code max_payload}, headers
     * included, so a JetStream send leaves room for its message id header.
     *
     * @throws IllegalArgumentException if {@code ?maxFrame=} is above what the server takes
     */
    private static int maxFrame(NatsSettings s, NatsClient client, String call) {
        long serverMax = client.maxPayload();
        long room = s.stream() != null && call.equals("openSender") ? NatsPublisher.HEADER_ROOM : 0;
        if (s.maxFrame() < 0) {
            return (int) Math.min(serverMax - room, EndpointOptions.maxFrame(s.endpoint()));
        }
        if (s.maxFrame() > serverMax - room) {
            throw new IllegalArgumentException("endpoint '" + s.name() + "': " + call + ": maxFrame " + s.maxFrame()
                    + " exceeds the NATS server's max_payload " + serverMax + (room == 0 ? "" : " less " + room
                    + " bytes for a JetStream send's message id") + " (lower maxFrame, or raise max_payload in the"
                    + " server's configuration)");
        }
        return s.maxFrame();
    }
}
