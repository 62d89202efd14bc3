package dev.conduit.bench;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.ProcessConnection;
import dev.conduit.bench.link.AeronLink;
import dev.conduit.bench.link.ChronicleLink;
import dev.conduit.bench.link.ConduitLink;
import dev.conduit.bench.link.NatsRows;
import dev.conduit.bench.link.RawSocketLink;
import dev.conduit.bench.link.ZmqLink;
import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The program each side of a two-process measurement runs in its own JVM.
 *
 * <pre>
 * BenchPeer server TRANSPORT SIZE DIR OPTIONS  listen; print "ready ADDRESS"; serve one client
 * BenchPeer client TRANSPORT SIZE ADDRESS PLAN OPTIONS
 *                                              connect; run the plan; print "phase N" as each
 *                                              phase ends, then one result line
 * BenchPeer fanout-pub|fanout-sub ...          one process of a fan-out row ({@link FanoutPeer})
 * </pre>
 *
 * OPTIONS are endpoint options for Conduit's socket, shared-memory and log transports
 * ({@code spin=0}), or {@code -}; the client uses them only for {@code mem}, whose server it runs
 * ({@code stdio} takes none). With {@code -Dconduit.bench.virtual=true} both sides run on a virtual
 * thread, and so does the server a client starts. {@code log} is a pair of logs in DIR, one each way; its ADDRESS
 * is DIR and the options.
 * PLAN is {@code durationMillis,warmupMillis,maxMessages,pinServer}. The client of {@code stdio}
 * spawns its server itself, and that of {@code mem} runs it on a thread, so both take
 * {@code -} as ADDRESS. {@code chronicle} is a pair of Chronicle queues in DIR, laid out as {@code log}'s
 * pair; its ADDRESS is DIR. {@code fifo} is a pair of FIFOs in DIR, {@code c2s} and {@code s2c}, one
 * each way: the server opens its receiver, says ready with DIR, then waits for the client's
 * receiver to open its sender. {@code mq} is a pair of System V queues, the same way round: the
 * server's key is its ADDRESS, the client's that key plus one. {@code zipc} is a pair of ZIPC queues,
 * {@code ADDRESS-c2s} and {@code ADDRESS-s2c}, ADDRESS being {@code /cb} and the server's pid.
 * See {@link Session} for what the two sides say to each other.
 */
public final class BenchPeer {
    /** Conduit transports the harness measures. */
    public static final List<String> CONDUIT = List.of("unix", "pipe", "tcp", "ws", "shm", "stdio", "mem", "fifo",
            "mq", "log", "zipc", "nats", "nats-js");
    /** Other libraries, measured the same way. */
    public static final List<String> PEERS = List.of("raw-uds", "aeron", "zmq", "node-ws", "chronicle", "jnats",
            "jnats-js");

    /** The stdio client's child, once spawned: its pinning is checked after the run. */
    private static long stdioChild;

    private BenchPeer() {
    }

    /**
     * Runs one side, on a virtual thread if {@code -Dconduit.bench.virtual=true}, and exits.
     *
     * @param args as in the class comment
     * @throws Exception whatever the side threw, which fails the run
     */
    public static void main(String[] args) throws Exception {
        if (!Boolean.getBoolean(Jvm.VIRTUAL)) {
            run(args);
            System.exit(0);
        }
        Exception[] failure = new Exception[1];
        Thread.ofVirtual().name("bench-" + args[0]).start(() -> {
            try {
                run(args);
            } catch (Exception e) {
                failure[0] = e;
            }
        }).join();
        if (failure[0] != null) {
            throw failure[0];
        }
        System.exit(0);
    }

    private static void run(String[] args) throws Exception {
        if (args[0].startsWith("fanout-")) {
            FanoutPeer.run(args);
            return;
        }
        String transport = args[1];
        int size = Integer.parseInt(args[2]);
        if (args[0].equals("server")) {
            serve(transport, size, args[3], args.length > 4 && !args[4].equals("-") ? "?" + args[4] : "");
        } else {
            Session.Plan plan = Session.Plan.parse(args[4]);
            String query = args.length > 5 && !args[5].equals("-") ? "?" + args[5] : "";
            try (Link link = connect(transport, size, args[3], plan, query)) {
                System.out.println(Session.drive(link, size, plan, phase -> {
                    if (stdioChild > 0 && phase.equals(Session.PHASE + 1)) {
                        checkPinned(stdioChild, plan.pinServer());
                    }
                    System.out.println(phase);
                    System.out.flush();
                }));
            }
        }
    }

    private static void serve(String transport, int size, String dir, String query) throws Exception {
        switch (transport) {
            case "stdio" -> Session.serve(new ConduitLink(Conduit.stdio()), size);
            case "nats", "nats-js", "jnats", "jnats-js" ->
                    NatsRows.serve(transport, query, BenchPeer::ready, link -> Session.serve(link, size));
            case "unix", "pipe", "tcp", "ws", "shm" -> {
                String endpoint = switch (transport) {
                    case "unix" -> "unix:" + Path.of(dir, "bench.sock") + query;
                    case "pipe" -> "pipe:conduit-bench-" + ProcessHandle.current().pid() + query;
                    case "shm" -> "shm:conduit-bench-" + ProcessHandle.current().pid() + query;
                    case "ws" -> "ws://127.0.0.1:0/bench" + query;
                    default -> "tcp://127.0.0.1:0" + query;
                };
                try (Listener listener = Conduit.listen(endpoint)) {
                    ready(listener.endpoint().toString());
                    Session.serve(new ConduitLink(listener.accept()), size);
                }
            }
            case "log" -> {
                // A pair of logs in the run directory, one each way; the client reads from the start of its log.
                try (MessageReceiver in = Conduit.openReceiver(log(dir, "to-server", query, "from=start"));
                     MessageSender out = Conduit.openSender(log(dir, "to-client", "", ""))) {
                    ready(dir + query);
                    Session.serve(new ConduitLink(out, in), size);
                }
            }
            case "chronicle" -> {
                // Made before "ready", so the client's tailer finds the queue it tails.
                ChronicleLink link;
                try {
                    link = new ChronicleLink(Path.of(dir, "to-client"), Path.of(dir, "to-server"));
                } catch (RuntimeException | Error e) {
                    // A JDK or platform Chronicle does not support (without its flags it throws an
                    // AssertionError from its static set-up): the row is skipped, not failed.
                    if (e instanceof VirtualMachineError) {
                        throw e;
                    }
                    System.out.println(Harness.UNAVAILABLE + "Chronicle Queue cannot run here: " + e);
                    return;
                }
                try (link) {
                    ready(dir);
                    Session.serve(link, size);
                }
            }
            case "fifo" -> {
                MessageReceiver in = Conduit.openReceiver("fifo:" + Path.of(dir, "c2s") + query);
                ready(dir + query);
                MessageSender out = Conduit.openSender("fifo:" + Path.of(dir, "s2c") + query, Duration.ofSeconds(30));
                Session.serve(new ConduitLink(out, in), size);
            }
            case "mq" -> {
                int key = 0x43420000 | (int) (ProcessHandle.current().pid() & 0x7FFF) << 1;
                MessageReceiver in = Conduit.openReceiver(mq(key, query));
                ready(key + query);
                MessageSender out = Conduit.openSender(mq(key + 1, ""), Duration.ofSeconds(30));
                Session.serve(new ConduitLink(out, in), size);
            }
            case "zipc" -> {
                // A pair of ZIPC queues, one each way, named after the server's pid.
                String name = "/cb" + ProcessHandle.current().pid();
                try (MessageReceiver in = Conduit.openReceiver(zipc(name + "-c2s", size, query))) {
                    ready(name + query);
                    try (MessageSender out = Conduit.openSender(zipc(name + "-s2c", size, ""))) {
                        Session.serve(new ConduitLink(out, in), size);
                    }
                }
            }
            case "raw-uds" -> {
                Path path = Path.of(dir, "raw.sock");
                try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    server.bind(UnixDomainSocketAddress.of(path));
                    ready(path.toString());
                    SocketChannel channel = server.accept();
                    Session.serve(new RawSocketLink(channel, size), size);
                } finally {
                    java.nio.file.Files.deleteIfExists(path);
                }
            }
            case "aeron" -> {
                String aeronDir = Path.of(dir, "aeron").toString();
                try (MediaDriver driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                        .aeronDirectoryName(aeronDir).threadingMode(ThreadingMode.SHARED)
                        .sharedIdleStrategy(new BackoffIdleStrategy()).dirDeleteOnStart(true)
                        .dirDeleteOnShutdown(true))) {
                    ready(driver.aeronDirectoryName());
                    Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
                    Session.serve(new AeronLink(aeron, 2, 1), size);
                }
            }
            case "zmq" -> {
                ZmqLink link = ZmqLink.bind();
                ready(link.endpoint());
                Session.serve(link, size);
            }
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        }
    }

    private static Link connect(String transport, int size, String address, Session.Plan plan, String options)
            throws Exception {
        if (transport.equals("stdio") && !options.isEmpty()) {
            throw new IllegalArgumentException("stdio rows take no endpoint options (given " + options + ")");
        }
        return switch (transport) {
            case "unix", "pipe", "tcp", "ws", "shm" ->
                    new ConduitLink(Conduit.connect(address, Duration.ofSeconds(30)));
            case "stdio" -> {
                ProcessConnection child = Conduit.spawn(new ProcessBuilder(serverCommand(size, plan.pinServer()))
                        .redirectError(ProcessBuilder.Redirect.INHERIT));
                stdioChild = child.process().pid();
                yield new ConduitLink(child);
            }
            case "mem" -> {
                String endpoint = "mem:bench" + options;
                Listener listener = Conduit.listen(endpoint);
                Thread.Builder builder = Boolean.getBoolean(Jvm.VIRTUAL) ? Thread.ofVirtual()
                        : Thread.ofPlatform().daemon(true);
                Thread server = builder.name("mem-server").start(() -> {
                    try (listener) {
                        Session.serve(new ConduitLink(listener.accept()), size);
                    } catch (Exception e) {
                        e.printStackTrace();
                    }
                });
                server.setPriority(Thread.NORM_PRIORITY);
                yield new ConduitLink(Conduit.connect(endpoint, Duration.ofSeconds(5)));
            }
            case "log" -> {
                int q = address.indexOf('?');
                String dir = q < 0 ? address : address.substring(0, q);
                String query = q < 0 ? "" : address.substring(q);
                MessageSender out = Conduit.openSender(log(dir, "to-server", "", ""));
                yield new ConduitLink(out, Conduit.openReceiver(log(dir, "to-client", query, "from=start")));
            }
            case "chronicle" -> new ChronicleLink(Path.of(address, "to-server"), Path.of(address, "to-client"));
            case "fifo" -> {
                int q = address.indexOf('?');
                String dir = q < 0 ? address : address.substring(0, q);
                String query = q < 0 ? "" : address.substring(q);
                MessageReceiver in = Conduit.openReceiver("fifo:" + Path.of(dir, "s2c") + query);
                yield new ConduitLink(Conduit.openSender("fifo:" + Path.of(dir, "c2s") + query, Duration.ofSeconds(30)),
                        in);
            }
            case "mq" -> {
                int q = address.indexOf('?');
                int key = Integer.parseInt(q < 0 ? address : address.substring(0, q));
                MessageReceiver in = Conduit.openReceiver(mq(key + 1, q < 0 ? "" : address.substring(q)));
                yield new ConduitLink(Conduit.openSender(mq(key, ""), Duration.ofSeconds(30)), in);
            }
            case "zipc" -> {
                int q = address.indexOf('?');
                String name = q < 0 ? address : address.substring(0, q);
                MessageReceiver in = Conduit.openReceiver(zipc(name + "-s2c", size, q < 0 ? "" : address.substring(q)));
                yield new ConduitLink(Conduit.openSender(zipc(name + "-c2s", size, "")), in);
            }
            case "raw-uds" -> new RawSocketLink(SocketChannel.open(UnixDomainSocketAddress.of(address)), size);
            case "nats", "nats-js", "jnats", "jnats-js" -> NatsRows.connect(transport, address, options);
            case "aeron" -> new AeronLink(Aeron.connect(new Aeron.Context().aeronDirectoryName(address)), 1, 2);
            case "zmq" -> ZmqLink.connect(address);
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        };
    }

    /**
     * @return the ZIPC queue {@code name} for messages of {@code size} bytes: slots of that size,
     *         as many as 64 MiB holds, from 4 to 1024
     */
    private static String zipc(String name, int size, String query) {
        int slotSize = Math.max(size, 1);
        int slots = (int) Math.max(4, Math.min(1024, (64L << 20) / slotSize));
        String options = "slots=" + slots + "&slotSize=" + slotSize;
        return "zipc:" + name + (query.isEmpty() ? "?" + options : query + "&" + options);
    }

    /** @return the endpoint of the queue with {@code key}, with the harness's options or none */
    private static String mq(int key, String query) {
        return "mq:0x" + Integer.toHexString(key) + query;
    }

    /**
     * @param query the harness's options ({@code ?spin=...}) or empty
     * @param more  another option, or empty
     * @return the endpoint of the log {@code name} in {@code dir}
     */
    private static String log(String dir, String name, String query, String more) {
        String options = more.isEmpty() ? query : (query.isEmpty() ? "?" : query + "&") + more;
        return "log:" + Path.of(dir, name) + options;
    }

    /**
     * Fails the run unless the stdio child ran where it was pinned (the CPU other than its
     * client's): an unpinned child shares its parent's CPU, and its round trip is then a
     * measure of the scheduler. Called after the first phase, while the child runs.
     *
     * @param pin the {@code taskset} CPU list the child was given, or {@code -} for none
     * @throws UncheckedIOException if the child may run elsewhere, or its status cannot be read
     */
    private static void checkPinned(long pid, String pin) {
        if (pin.equals("-")) {
            return;
        }
        String allowed;
        try {
            allowed = Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("Cpus_allowed_list:")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse("?");
        } catch (IOException e) {
            throw new UncheckedIOException("stdio: cannot read the child's (pid " + pid + ") CPUs", e);
        }
        if (!allowed.equals(pin)) {
            throw new UncheckedIOException(new IOException("stdio: the child (pid " + pid + ") may run on CPUs "
                    + allowed + ", not on CPU " + pin + " only, as it was pinned"));
        }
    }

    private static List<String> serverCommand(int size, String pin) {
        List<String> command = new ArrayList<>(Jvm.command(pin, "stdio",
                Boolean.getBoolean(Jvm.VIRTUAL) ? List.of("-D" + Jvm.VIRTUAL + "=true") : List.of()));
        command.addAll(List.of("server", "stdio", String.valueOf(size), "-"));
        return command;
    }

    private static void ready(String address) {
        System.out.println("ready " + address);
        System.out.flush();
    }
}
