package dev.conduit.testing.soak;

import dev.conduit.Endpoint;
import dev.conduit.internal.shm.ShmTransport;
import dev.conduit.internal.unix.UnixTransport;
import dev.conduit.queue.MessageQueue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** What a soak's transport may leave behind: finds it after the soak, and removes it whatever happened. */
final class SoakLeftovers {
    private final String transport;
    private final String endpoint;
    private final String name;
    private final int mqKey;
    private final Set<Long> pids;

    /** @param pids the soak's children, filled in as they start: their {@code /dev/shm} objects are looked for */
    SoakLeftovers(String transport, String endpoint, String name, int mqKey, Set<Long> pids) {
        this.transport = transport;
        this.endpoint = endpoint;
        this.name = name;
        this.mqKey = mqKey;
        this.pids = pids;
    }

    /** @return where the pipe: and shm: sockets named after this soak are */
    List<Path> socketsByName() {
        return List.of(UnixTransport.socketPath(Endpoint.parse("pipe:" + name)),
                ShmTransport.socketPath(Endpoint.parse("shm:" + name)));
    }

    /** @return what the transport should have removed by now, but is still there */
    List<String> list() throws IOException {
        List<String> left = new ArrayList<>();
        for (Path p : socketsByName()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                left.add(p.toString());
            }
        }
        if (endpoint.startsWith("unix:") || endpoint.startsWith("fifo:")) {
            Path p = Path.of(endpoint.substring(5));
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                left.add(p.toString());
            }
        }
        left.addAll(shmObjects());
        if (transport.equals("log")) {
            try (Stream<Path> files = Files.list(Path.of(endpoint.substring(4)))) {
                files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).forEach(f -> left.add(f.toString()));
            }
        }
        if (transport.equals("mq") && queueExists()) {
            left.add("System V message queue key " + mqKey);
        }
        return left;
    }

    List<String> shmObjects() throws IOException {
        try (Stream<Path> objects = Files.list(Path.of("/dev/shm"))) {
            return objects.filter(o -> pids.stream().anyMatch(pid -> o.getFileName().toString()
                    .startsWith("conduit-" + pid + "-"))).map(Path::toString).toList();
        }
    }

    boolean queueExists() {
        try (MessageQueue q = MessageQueue.open(mqKey, MessageQueue.Options.DEFAULT.withExisting())) {
            return q.id() >= 0;
        } catch (IOException absent) {
            return false;
        }
    }

    /** Removes whatever {@link #list} would find that a transport names after this soak. */
    void remove() throws IOException {
        for (Path p : socketsByName()) {
            Files.deleteIfExists(p);
        }
        for (String object : shmObjects()) {
            Files.deleteIfExists(Path.of(object));
        }
        if (transport.equals("mq") && queueExists()) {
            try (MessageQueue q = MessageQueue.open(mqKey, MessageQueue.Options.DEFAULT.withExisting())) {
                q.remove();
            }
        }
    }
}
