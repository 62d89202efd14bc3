package dev.conduit.internal.shm;

import dev.conduit.Connection;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.internal.Options;
import dev.conduit.internal.posix.Processes;
import dev.conduit.internal.unix.UnixTransport;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code shmfan:NAME}: one publisher, many subscribers, one ring ({@link FanoutRing}), so a
 * message is copied once however many read it. The publisher makes the object (named
 * {@code /conduit-PID-N-HEX} while it lives, unlinked when it closes, swept by the next
 * {@code shm:} listener or publisher if it dies) and a handshake socket at
 * {@code $TMPDIR/conduit-shmfan-NAME}. A subscriber joins through that socket:
 * <pre>
 *   subscriber: conduit-shmfan 1 pid=PID
 *   publisher:  conduit-shmfan 1 ring=/conduit-PID-N-HEX slot=K   (or: conduit-shm error TEXT)
 *   subscriber: conduit-shm mapped                                 (or: conduit-shm error TEXT)
 *   publisher:  conduit-shmfan joined                              (slot K now reads from the tail)
 * </pre>
 * and keeps the socket open, silent, as its sign of life both ways: when it closes or dies the
 * publisher's thread for it reads end of file and frees its slot, so a dead subscriber holds
 * the publisher back for no longer than the kernel takes to close its socket.
 */
final class ShmFanout {
    static final String SCHEME = "shmfan";
    /** {@code ?subscribers=}: the number of subscriber slots, the most that may read at once. */
    static final String SUBSCRIBERS = "subscribers";
    static final int DEFAULT_SUBSCRIBERS = 8;
    static final String HELLO = "conduit-shmfan 1";
    static final String JOINED = "conduit-shmfan joined";
    private static final Pattern ANSWER = Pattern.compile(Pattern.quote(HELLO) + " ring=(\\S+) slot=([0-9]+)");

    private final Endpoint endpoint;
    private final RingFile file;
    private final FanoutRing ring;
    private final boolean[] taken;
    private final Set<Connection> members = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private Listener sockets;

    private ShmFanout(Endpoint endpoint, RingFile file) {
        this.endpoint = endpoint;
        this.file = file;
        this.ring = new FanoutRing(file, -1);
        this.taken = new boolean[file.slots];
    }

    /** Makes the publication: the object, the publisher's end, and the socket subscribers join through. */
    static MessageSender publish(Endpoint endpoint, long ringBytes) throws IOException {
        int slots = (int) Options.size(endpoint, SUBSCRIBERS, DEFAULT_SUBSCRIBERS, 1, RingFile.MAX_SLOTS);
        int mode = Options.mode(endpoint, "mode", UnixTransport.DEFAULT_MODE);
        ShmTransport.removeStaleRings();
        String name = ShmTransport.newRingName();
        RingFile file;
        try {
            file = RingFile.create(name, ringBytes, -1, mode, slots);
        } catch (IOException e) {
            throw new IOException(endpoint + ": openSender: " + e.getMessage(), e);
        }
        ShmFanout fanout = new ShmFanout(endpoint, file);
        ShmConnection connection = null;
        try {
            connection = new ShmConnection(endpoint, file, Ring.NONE, fanout.ring, null,
                    Options.maxFrame(endpoint), Options.spinNanos(endpoint), fanout::release);
            fanout.sockets = new UnixTransport().listen(ShmTransport.controlEndpoint(endpoint, true), endpoint);
        } catch (IOException | RuntimeException e) {
            if (connection != null) {
                connection.close();
            } else {
                file.close();
                ShmNames.unlinkQuietly(name.substring(1));
            }
            throw e;
        }
        Thread.ofVirtual().name(endpoint + " subscribers").start(fanout::acceptSubscribers);
        return connection;
    }

    private void acceptSubscribers() {
        try {
            while (!closed) {
                Connection socket = sockets.accept();
                members.add(socket);
                Thread.ofVirtual().name(endpoint + " subscriber").start(() -> serve(socket));
            }
        } catch (IOException | RuntimeException e) {
            // The listener closed with the publisher.
        }
    }

    /** Runs one subscriber's handshake, then waits for its socket's end of file and frees its slot. */
    private void serve(Connection socket) {
        int slot = -1;
        try (socket) {
            String hello = ShmTransport.line(endpoint, socket, "hello");
            if (!hello.startsWith(HELLO + " pid=")) {
                socket.send(ShmTransport.ERROR + "expected '" + HELLO + " pid=PID'");
                return;
            }
            int pid = Integer.parseInt(hello.substring(HELLO.length() + 5));
            slot = reserve();
            if (slot < 0) {
                socket.send(ShmTransport.ERROR + "all " + taken.length + " subscriber slots of " + endpoint
                        + " are taken (the publisher's ?" + SUBSCRIBERS + "= sets how many)");
                return;
            }
            socket.send(HELLO + " ring=" + file.name + " slot=" + slot);
            if (!ShmTransport.line(endpoint, socket, "mapped").equals(ShmTransport.MAPPED)) {
                return;
            }
            // At the published tail, without the publisher's lock (which a join would take from its
            // thread for good: a biased lock): the publisher's room was computed from a head no
            // later than that tail, so it cannot overwrite anything from there on before it looks
            // at the slots again.
            ring.activate(slot, ring.tailAcquire(), pid);
            ring.useMembarrier(file.flag(RingFile.FLAG_MEMBARRIER));
            socket.send(JOINED);
            while (true) {
                socket.receive(); // a subscriber says nothing more: only its end of file ends this
            }
        } catch (IOException | RuntimeException e) {
            // The subscriber left or died, failed its handshake, or the publisher is closing.
        } finally {
            members.remove(socket);
            unreserve(slot);
        }
    }

    private synchronized int reserve() {
        for (int k = 0; k < taken.length && !closed; k++) {
            if (!taken[k]) {
                taken[k] = true;
                return k;
            }
        }
        return -1;
    }

    private synchronized void unreserve(int slot) {
        if (slot < 0 || closed) {
            return;
        }
        ring.free(slot);
        taken[slot] = false;
    }

    /** The publisher's close, after the ring says closed and before it is unmapped. */
    private void release() {
        synchronized (this) {
            closed = true;
        }
        ShmNames.unlinkQuietly(file.name.substring(1));
        try {
            if (sockets != null) {
                sockets.close();
            }
        } catch (IOException e) {
            // Closing anyway.
        }
        for (Connection member : members) {
            try {
                member.close();
            } catch (IOException e) {
                // Its thread ends either way.
            }
        }
    }

    /** Subscribes: joins through the handshake socket, then reads the ring from the tail it is given. */
    static MessageReceiver subscribe(Endpoint endpoint) throws IOException {
        Connection control = new UnixTransport().connect(ShmTransport.controlEndpoint(endpoint, false), endpoint,
                Duration.ZERO);
        RingFile file = null;
        try {
            control.send(HELLO + " pid=" + Processes.getpid());
            String answer = ShmTransport.line(endpoint, control, "ring name");
            if (answer.startsWith(ShmTransport.ERROR)) {
                throw new IOException(endpoint + ": openReceiver: " + answer.substring(ShmTransport.ERROR.length()));
            }
            Matcher m = ANSWER.matcher(answer);
            if (!m.matches()) {
                throw new IOException(endpoint + ": openReceiver: the publisher answered '" + answer + "'");
            }
            String name = m.group(1);
            int slot = Integer.parseInt(m.group(2));
            if (!name.startsWith("/") || !ShmNames.isRing(name.substring(1))) {
                throw new IOException(endpoint + ": openReceiver: the publisher named ring '" + name
                        + "', not one of Conduit's");
            }
            try {
                file = RingFile.open(name, true);
            } catch (IOException e) {
                control.send(ShmTransport.ERROR + e.getMessage());
                throw new IOException(endpoint + ": openReceiver: " + e.getMessage(), e);
            }
            if (slot >= file.slots) {
                throw new IOException(endpoint + ": openReceiver: the publisher gave slot " + slot + " of "
                        + file.slots);
            }
            control.send(ShmTransport.MAPPED);
            String joined = ShmTransport.line(endpoint, control, "joined");
            if (!joined.equals(JOINED)) {
                throw new IOException(endpoint + ": openReceiver: the publisher answered '" + joined + "'");
            }
            RingFile mapped = file;
            // A publisher that died leaves its object's name behind: its last subscriber removes it.
            return new ShmConnection(endpoint, file, new FanoutRing(file, slot), Ring.NONE, control,
                    Options.maxFrame(endpoint), Options.spinNanos(endpoint), () -> {
                        if (!Processes.exists(mapped.creatorPid())) {
                            ShmNames.unlinkQuietly(name.substring(1));
                        }
                    });
        } catch (IOException | RuntimeException e) {
            if (file != null) {
                file.close();
            }
            control.close();
            throw e;
        }
    }
}
