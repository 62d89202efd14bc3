package dev.conduit.testing;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code nats-server} of the test's own: loopback, a free port, JetStream on, its store in a
 * temporary directory. {@link #close()} kills it and deletes the directory, whatever happened;
 * {@link #start} skips the test (a JUnit assumption) where nats-server is not installed. The
 * {@code nats://} tests of conduit-nats and of the command line share it.
 */
public final class NatsServer implements AutoCloseable {
    /** Where Debian's package puts the server; {@code PATH} is searched too. */
    private static final List<Path> PLACES = List.of(Path.of("/usr/sbin/nats-server"), Path.of("/usr/bin/nats-server"));

    private final TempDir dir;
    private final List<String> extra;
    private final int port;
    private Process process;

    private NatsServer(TempDir dir, int port, List<String> extra) {
        this.dir = dir;
        this.port = port;
        this.extra = extra;
    }

    /** @return the server binary, or {@code null} if none is installed */
    public static Path binary() {
        for (Path p : PLACES) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d, "nats-server");
            if (!d.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Starts a server and waits until it takes clients.
     *
     * @param extra more command-line arguments, e.g. {@code --auth TOKEN}
     * @return the running server
     */
    public static NatsServer start(String... extra) throws IOException {
        return startWithConfig(null, extra);
    }

    /**
     * As {@link #start}, with a configuration file, for what the command line cannot set.
     *
     * @param config the configuration, e.g. {@code max_payload: 65536}; {@code null} for none
     * @param extra  more command-line arguments
     * @return the running server
     */
    public static NatsServer startWithConfig(String config, String... extra) throws IOException {
        Assumptions.assumeTrue(binary() != null, "nats-server is not installed (Debian: apt-get install"
                + " nats-server); the nats:// tests need a real server");
        List<String> args = new ArrayList<>(List.of(extra));
        NatsServer server = new NatsServer(new TempDir(), freePort(), args);
        try {
            if (config != null) {
                Path file = server.dir.resolve("server.conf");
                Files.writeString(file, config + "\n");
                args.addAll(List.of("-c", file.toString()));
            }
            server.launch();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** @return a loopback port free just now */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(binary().toString(), "-a", "127.0.0.1", "-p",
                Integer.toString(port), "-js", "-sd", dir.resolve("store").toString()));
        command.addAll(extra);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        Waits.until("nats-server on port " + port + " to take clients", Duration.ofSeconds(20),
                () -> process.isAlive() && listening() || !process.isAlive());
        if (!process.isAlive()) {
            throw new IOException("nats-server exited with " + process.exitValue() + ": " + log());
        }
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the server's log so far */
    public String log() throws IOException {
        Path log = dir.resolve("server.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** @return the port clients use */
    public int port() {
        return port;
    }

    /** @return {@code nats://127.0.0.1:PORT/SUBJECT} */
    public String url(String subject) {
        return "nats://127.0.0.1:" + port + "/" + subject;
    }

    /** Kills the server (SIGKILL): what a crashed machine looks like to its clients. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the server again, on the same port and store, after {@link #kill()}. */
    public void restart() throws IOException {
        launch();
    }

    @Override
    public void close() throws IOException {
        try {
            if (process != null) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            dir.close();
        }
    }

    /**
     * One server for all the tests of a class: started before the first, closed after the last
     * (skipping the class where nats-server is not installed).
     * {@code @RegisterExtension static final NatsServer.PerClass NATS = new NatsServer.PerClass();}
     */
    public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
        private NatsServer server;

        @Override
        public void beforeAll(ExtensionContext context) throws IOException {
            server = start();
        }

        @Override
        public void afterAll(ExtensionContext context) throws IOException {
            if (server != null) {
                server.close();
            }
        }

        /** @return the class's server */
        public NatsServer get() {
            return server;
        }
    }
}
