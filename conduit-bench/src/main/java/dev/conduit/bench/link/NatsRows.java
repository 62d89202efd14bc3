package dev.conduit.bench.link;

import dev.conduit.Conduit;
import dev.conduit.Listener;
import dev.conduit.bench.Link;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The rows on a NATS server: {@code nats} (a Conduit {@code listen}/{@code connect} connection),
 * {@code nats-js} (Conduit JetStream senders and receivers, one stream each way) and their
 * baselines {@code jnats} and {@code jnats-js}, the client alone doing the same work. The server
 * is the one {@value #SERVER_VARIABLE} names (e.g. {@code nats://127.0.0.1:4222}, a
 * {@code nats-server -js}); each run uses subjects and streams named after the server side's pid,
 * and the server side deletes its streams when done.
 */
public final class NatsRows {
    /** The environment variable naming the NATS server the rows use. */
    public static final String SERVER_VARIABLE = "CONDUIT_BENCH_NATS";

    private NatsRows() {
    }

    /** @return why the rows cannot run here, or empty */
    public static Optional<String> unavailable() {
        return System.getenv(SERVER_VARIABLE) == null ? Optional.of("needs a NATS server with JetStream: start"
                + " nats-server -js and set " + SERVER_VARIABLE + "=nats://127.0.0.1:4222") : Optional.empty();
    }

    private static String server() {
        return unavailable().isPresent() ? "nats://127.0.0.1:4222" : System.getenv(SERVER_VARIABLE);
    }

    /**
     * Runs the server side: says ready with the subject prefix, then serves one link.
     *
     * @param row   {@code nats}, {@code nats-js}, {@code jnats} or {@code jnats-js}
     * @param query the harness's endpoint options, {@code ?...} or empty
     * @param ready told the address the client needs
     * @param serve runs the session over the link
     */
    public static void serve(String row, String query, Consumer<String> ready, LinkServer serve) throws Exception {
        String prefix = "bench" + ProcessHandle.current().pid();
        boolean jetStream = row.endsWith("-js");
        if (jetStream) {
            streams(prefix);
        }
        try {
            if (row.equals("nats")) {
                try (Listener listener = Conduit.listen(server() + "/" + prefix + query)) {
                    ready.accept(prefix);
                    serve.serve(new ConduitLink(listener.accept()));
                }
                return;
            }
            Link link = open(row, prefix, "s2c", "c2s", query);
            ready.accept(prefix);
            serve.serve(link);
        } finally {
            if (jetStream) {
                deleteStreams(prefix);
            }
        }
    }

    /**
     * Opens the client side.
     *
     * @param row     as {@link #serve}
     * @param address the prefix the server said
     * @param query   the harness's endpoint options, {@code ?...} or empty
     * @return the link
     */
    public static Link connect(String row, String address, String query) throws Exception {
        if (row.equals("nats")) {
            return new ConduitLink(Conduit.connect(server() + "/" + address + query, Duration.ofSeconds(30)));
        }
        return open(row, address, "c2s", "s2c", query);
    }

    private static Link open(String row, String prefix, String out, String in, String query) throws Exception {
        String base = server() + "/" + prefix + ".";
        String more = query.isEmpty() ? "?" : query + "&";
        return switch (row) {
            case "nats-js" -> new ConduitLink(
                    Conduit.openSender(base + out + more + "stream=" + prefix + out.toUpperCase()),
                    Conduit.openReceiver(base + in + more + "stream=" + prefix + in.toUpperCase() + "&from=start"));
            case "jnats" -> {
                Connection nc = Nats.connect(server());
                yield new JnatsLink(nc, inbox(prefix, out), nc.subscribe(inbox(prefix, in)), null);
            }
            case "jnats-js" -> {
                Connection nc = Nats.connect(server());
                ConsumerConfiguration cc = ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit)
                        .ackWait(Duration.ofSeconds(10)).maxAckPending(1).deliverPolicy(DeliverPolicy.All)
                        .filterSubject(prefix + "." + in).build();
                String consumer = nc.jetStreamManagement().createConsumer(prefix + in.toUpperCase(), cc).getName();
                yield new JnatsLink(nc, prefix + "." + out, null, nc.jetStream().subscribe(prefix + "." + in,
                        PullSubscribeOptions.bind(prefix + in.toUpperCase(), consumer)));
            }
            default -> throw new IllegalArgumentException("unknown NATS row " + row);
        };
    }

    /**
     * The subject of one direction of the {@code jnats} row: shaped as the inboxes a Conduit
     * {@code nats://} connection talks through ({@code _INBOX.} and 22 characters, as jnats'
     * {@code createInbox()} makes them), since jnats' work per message grows with the subject's
     * length (checked on publish, parsed and hashed on delivery), and the baseline does the same
     * work as the row it is a baseline for.
     *
     * @param prefix the run's subject prefix
     * @param way    which direction
     * @return the subject
     */
    public static String inbox(String prefix, String way) {
        StringBuilder id = new StringBuilder(prefix).append(way);
        while (id.length() < 22) {
            id.append('0');
        }
        return "_INBOX." + id;
    }

    /** Makes the two streams, one each way, before either side uses them. */
    private static void streams(String prefix) throws Exception {
        Connection nc = Nats.connect(server());
        try {
            JetStreamManagement jsm = nc.jetStreamManagement();
            for (String way : new String[] {"c2s", "s2c"}) {
                jsm.addStream(StreamConfiguration.builder().name(prefix + way.toUpperCase())
                        .subjects(prefix + "." + way).storageType(StorageType.File).build());
            }
        } finally {
            nc.close();
        }
    }

    private static void deleteStreams(String prefix) throws Exception {
        Connection nc = Nats.connect(server());
        try {
            for (String way : new String[] {"c2s", "s2c"}) {
                try {
                    nc.jetStreamManagement().deleteStream(prefix + way.toUpperCase());
                } catch (IOException | JetStreamApiException e) {
                    System.err.println("bench: could not delete stream " + prefix + way.toUpperCase() + ": " + e);
                }
            }
        } finally {
            nc.close();
        }
    }

    /** Runs the server side's session over a link. */
    @FunctionalInterface
    public interface LinkServer {
        /**
         * @param link the link, owned from now on
         * @throws Exception if the session failed
         */
        void serve(Link link) throws Exception;
    }
}
