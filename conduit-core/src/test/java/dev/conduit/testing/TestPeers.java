package dev.conduit.testing;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Programs that tests run in a child JVM as the other end of a connection.
 *
 * <ul>
 * <li>{@code hold ENDPOINT}: connect, send {@code ready}, then never read, never exit.</li>
 * <li>{@code echo ENDPOINT}: connect and send every message back until the peer closes.</li>
 * <li>{@code send-hold ENDPOINT}: open a one-way sender, send {@code ready}, then never exit.</li>
 * <li>{@code receive-hold ENDPOINT}: open a one-way receiver, print {@code ready} on standard
 *     output, then never read or exit.</li>
 * <li>{@code send-halt ENDPOINT COUNT}: connect, send {@link #haltMessage} 0 to COUNT-1 (most
 *     with {@code write}, every tenth and the last with {@code send}), then halt at once: what a
 *     returned {@code send} took must reach the peer all the same.</li>
 * <li>{@code relay ENDPOINT}: join this process's stdio and a connection to ENDPOINT, copying
 *     messages both ways; when either side closes, close the other and exit.</li>
 * <li>{@code echo-listener ENDPOINT}: listen, print {@code ready} on standard output, then send
 *     every message of every client back to it, each client on a virtual thread, until killed.</li>
 * </ul>
 */
public final class TestPeers {
    private TestPeers() {
    }

    public static void main(String[] args) throws Exception {
        String endpoint = args[1];
        switch (args[0]) {
            case "hold" -> hold(endpoint);
            case "echo" -> echo(endpoint);
            case "relay" -> relay(endpoint);
            case "send-hold" -> sendHold(endpoint);
            case "receive-hold" -> receiveHold(endpoint);
            case "send-halt" -> sendHalt(endpoint, Integer.parseInt(args[2]));
            case "echo-listener" -> echoListener(endpoint);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void hold(String endpoint) throws Exception {
        Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10));
        c.send("ready");
        new CountDownLatch(1).await();
    }

    private static void sendHold(String endpoint) throws Exception {
        MessageSender s = Conduit.openSender(endpoint);
        s.send("ready");
        new CountDownLatch(1).await();
    }

    /** Opens a receiver, prints {@code ready}, and reads nothing until killed: a stuck subscriber. */
    private static void receiveHold(String endpoint) throws Exception {
        MessageReceiver r = Conduit.openReceiver(endpoint);
        System.out.println("ready");
        System.out.flush();
        new CountDownLatch(1).await();
        r.close();
    }

    /** @return message {@code i} of {@code send-halt}: 4 KiB, so what is queued takes a while to write */
    public static String haltMessage(int i) {
        return "m" + i + "x".repeat(4096);
    }

    private static void sendHalt(String endpoint, int count) throws Exception {
        Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10));
        for (int i = 0; i < count; i++) {
            if (i % 10 == 9 || i == count - 1) {
                c.send(haltMessage(i));
            } else {
                c.write(haltMessage(i));
            }
        }
        Runtime.getRuntime().halt(0);
    }

    private static void echo(String endpoint) throws Exception {
        try (Connection c = Conduit.connect(endpoint, Duration.ofSeconds(10))) {
            while (true) {
                c.send(c.receive());
            }
        } catch (ConnectionClosedException e) {
            // The peer closed: done.
        }
    }

    private static void echoListener(String endpoint) throws Exception {
        Listener listener = Conduit.listen(endpoint);
        System.out.println("ready");
        System.out.flush();
        while (true) {
            Connection c = listener.accept();
            Thread.ofVirtual().start(() -> {
                try (c) {
                    while (true) {
                        c.send(c.receive());
                    }
                } catch (IOException e) {
                    // The client went: serve the others.
                }
            });
        }
    }

    private static void relay(String endpoint) throws Exception {
        Connection stdio = Conduit.stdio();
        Connection socket = Conduit.connect(endpoint, Duration.ofSeconds(10));
        Thread up = Thread.ofPlatform().start(() -> copy(stdio, socket));
        copy(socket, stdio);
        up.join();
        System.exit(0);
    }

    private static void copy(Connection from, Connection to) {
        try {
            while (true) {
                to.send(from.receive());
            }
        } catch (Exception e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (Exception e) {
            // Exiting anyway.
        }
    }
}
