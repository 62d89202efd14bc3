package dev.conduit.websocket;

import dev.conduit.Conduit;
import dev.conduit.Connection;
import dev.conduit.ConnectionClosedException;
import dev.conduit.Listener;
import jdk.management.VirtualThreadSchedulerMXBean;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.BufferPoolMXBean;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The server side of {@link LoadTest}, run in a child JVM so that its heap and threads are its
 * own: it listens on {@code args[0]}, serves each accepted connection on a virtual thread of its
 * own, and answers lines on standard input with one line on standard output.
 *
 * <p>What each connection gets ({@code args[1]}): {@code echo} (every message sent back),
 * {@code slow:MICROS} (one message taken every {@code MICROS} µs, none sent: a slow consumer) or
 * {@code push:BYTES} (messages of {@code BYTES} sent with a blocking {@code send} for as long as
 * the connection lasts: a flood towards a client that does not read).
 *
 * <p>Commands: {@code stats} prints {@code stats key=value ...} (the heap measured after a full
 * collection, and the threads); {@code parked} prints {@code parked SERVING PARKED} (the serving
 * threads, and how many of them are parked; no collection, so it can be asked often); {@code watch} starts taking that heap figure every 250 ms and
 * keeping its maximum ({@code watchedHeap}), until the next {@code stats}; {@code reset} resets
 * the heap pools' peaks. {@code wsInboxes} is what the ws inboxes of the JVM hold together. End of input ends the process, so it never outlives the test.
 */
public final class LoadServer {
    private static final long WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final Queue<Thread> servers = new ConcurrentLinkedQueue<>();
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String firstFailure = "none";
    private volatile Thread watcher;
    private volatile long watchedHeap;
    private volatile long watchedInboxes;

    private LoadServer() {
    }

    public static void main(String[] args) throws Exception {
        LoadServer server = new LoadServer();
        Listener listener = Conduit.listen(args[0]);
        Thread acceptor = Thread.ofPlatform().daemon().name("load-acceptor").start(() -> server.acceptAll(listener, args[1]));
        System.out.println("listening " + listener.endpoint());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            switch (line) {
                case "stats" -> System.out.println(server.stats());
                case "watch" -> server.watch();
                case "parked" -> System.out.println("parked " + server.servers.size() + " " + server.parked());
                case "reset" -> {
                    heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
                    System.out.println("reset");
                }
                default -> System.out.println("unknown command " + line);
            }
        }
        // The test has gone: end without waiting for the connections to drain.
        acceptor.interrupt();
        Runtime.getRuntime().halt(0);
    }

    private void acceptAll(Listener listener, String mode) {
        while (true) {
            try {
                Connection connection = listener.accept();
                servers.add(Thread.ofVirtual().name("serve").start(() -> serve(connection, mode)));
            } catch (ConnectionClosedException e) {
                return;
            } catch (IOException e) {
                // One client's failure must not stop the others from being accepted; it is counted.
                System.err.println("load server: accept on " + listener.endpoint() + " failed: " + e);
                fail("accept on " + listener.endpoint() + ": " + e);
            }
        }
    }

    private void serve(Connection connection, String mode) {
        try (connection) {
            if (mode.equals("echo")) {
                while (true) {
                    byte[] request = connection.receive();
                    connection.send(request);
                    messages.incrementAndGet();
                }
            } else if (mode.startsWith("slow:")) {
                long paceNanos = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(mode.substring("slow:".length())));
                while (true) {
                    bytes.addAndGet(connection.receive().length);
                    messages.incrementAndGet();
                    // The slowness is the point: this consumer takes one message per pace, however many wait.
                    LockSupport.parkNanos(paceNanos);
                }
            } else if (mode.startsWith("push:")) {
                byte[] message = new byte[Integer.parseInt(mode.substring("push:".length()))];
                while (true) {
                    connection.send(message);
                    bytes.addAndGet(message.length);
                    messages.incrementAndGet();
                }
            } else {
                throw new IllegalArgumentException("mode=" + mode + " (expected: echo, slow:MICROS, push:BYTES)");
            }
        } catch (ConnectionClosedException e) {
            // The client went away: the normal end of every connection here.
        } catch (IOException | RuntimeException e) {
            fail(e.toString());
        } finally {
            servers.remove(Thread.currentThread());
        }
    }

    private void fail(String why) {
        if (failures.getAndIncrement() == 0) {
            firstFailure = why.replace(' ', '_');
        }
    }

    private void watch() {
        watchedHeap = heapAfterGc();
        watchedInboxes = wsInboxes();
        watcher = Thread.ofPlatform().daemon().name("load-watcher").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                LockSupport.parkNanos(WATCH_NANOS);
                watchedInboxes = Math.max(watchedInboxes, wsInboxes());
                watchedHeap = Math.max(watchedHeap, heapAfterGc());
            }
        });
        System.out.println("watching");
    }

    private String stats() {
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            watcher = null;
        }
        long heap = heapAfterGc();
        long peak = heapPools().stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        VirtualThreadSchedulerMXBean scheduler = ManagementFactory.getPlatformMXBean(VirtualThreadSchedulerMXBean.class);
        int parked = parked();
        return "stats heapUsed=" + heap
                + " heapPeak=" + peak
                + " heapMax=" + Runtime.getRuntime().maxMemory()
                + " watchedHeap=" + Math.max(watchedHeap, heap)
                + " direct=" + direct
                + " platformThreads=" + ManagementFactory.getThreadMXBean().getThreadCount()
                + " peakPlatformThreads=" + ManagementFactory.getThreadMXBean().getPeakThreadCount()
                + " carriers=" + scheduler.getPoolSize()
                + " parallelism=" + scheduler.getParallelism()
                + " mounted=" + scheduler.getMountedVirtualThreadCount()
                + " serving=" + servers.size()
                + " parked=" + parked
                + " messages=" + messages.get()
                + " bytes=" + bytes.get()
                + " wsInboxes=" + wsInboxes()
                + " watchedWsInboxes=" + Math.max(watchedInboxes, wsInboxes())
                + " failures=" + failures.get()
                + " firstFailure=" + firstFailure;
    }

    /** @return what the ws inboxes of this JVM hold together; internal, so read reflectively (the class path allows it) */
    private static long wsInboxes() {
        try {
            Field f = Class.forName("dev.conduit.websocket.internal.WebSocketConnection").getDeclaredField("INBOXES_BYTES");
            f.setAccessible(true);
            return ((LongAdder) f.get(null)).sum();
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    private int parked() {
        int parked = 0;
        for (Thread t : servers) {
            Thread.State state = t.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                parked++;
            }
        }
        return parked;
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }
}
