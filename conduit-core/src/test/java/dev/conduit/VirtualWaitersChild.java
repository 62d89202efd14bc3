package dev.conduit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A child JVM for {@link VirtualThreadWaitTest}, started with its virtual-thread scheduler
 * capped at a few carriers: {@code args[1]} virtual threads block in {@code receive} on
 * connections over {@code args[0]}, all at once, then all are served; then as many block in
 * {@code send} towards clients that do not read, then all are drained. A wait that held its
 * carrier would leave the others unstarted, so the child prints what it saw and exits 0 only if
 * every waiter was parked at once and every one finished.
 */
public final class VirtualWaitersChild {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] CHUNK = new byte[1 << 20];
    /** 16 MiB in all: more than a loopback TCP connection buffers (a sender of 4 MiB could finish). */
    private static final int CHUNKS = 16;

    private VirtualWaitersChild() {
    }

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        int count = Integer.parseInt(args[1]);
        try (Listener listener = Conduit.listen(endpoint)) {
            List<Connection> clients = new ArrayList<>();
            List<Connection> servers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                clients.add(Conduit.connect(listener.endpoint().toString(), WAIT));
                servers.add(listener.accept(WAIT));
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> receivers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Connection server = servers.get(i);
                boolean timed = i % 2 == 0;
                receivers.add(Thread.ofVirtual().name("receiver-" + i).start(() -> {
                    try {
                        // Half wait without a time-out, half with one: the JDK parks the two differently.
                        byte[] m = timed ? server.receive(WAIT) : server.receive();
                        server.send(m);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            String receiving = awaitParked("receive", receivers);
            for (int i = 0; i < count; i++) {
                clients.get(i).send("request " + i);
            }
            for (int i = 0; i < count; i++) {
                String reply = clients.get(i).receiveString(WAIT);
                if (!("request " + i).equals(reply)) {
                    exit(3, endpoint + ": receiver " + i + " answered " + reply + " (failure: " + failure.get() + ")");
                }
            }
            join(receivers);
            List<Thread> senders = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Connection server = servers.get(i);
                senders.add(Thread.ofVirtual().name("sender-" + i).start(() -> {
                    try {
                        for (int k = 0; k < CHUNKS; k++) {
                            server.send(CHUNK);
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            String sending = awaitParked("send", senders);
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < CHUNKS; k++) {
                    byte[] m = clients.get(i).receive(WAIT);
                    if (m == null || m.length != CHUNK.length) {
                        exit(3, endpoint + ": client " + i + " got " + (m == null ? "nothing" : m.length + " bytes")
                                + " as chunk " + k + " of " + CHUNK.length + " (failure: " + failure.get() + ")");
                    }
                }
            }
            join(senders);
            if (failure.get() != null) {
                exit(3, endpoint + ": " + failure.get());
            }
            System.out.println("served " + count + " waiters in receive (" + receiving + ") and in send (" + sending + ")");
        }
    }

    /** @return what the scheduler showed once all were parked; exits 2 if they never all were */
    private static String awaitParked(String call, List<Thread> threads) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long parked = threads.stream().filter(VirtualWaitersChild::isParked).count();
            String seen = parked + " of " + threads.size() + " parked, " + carriers() + " carrier threads";
            if (parked == threads.size()) {
                return seen;
            }
            if (System.nanoTime() - deadline > 0) {
                exit(2, "waiters in " + call + " never all parked: " + seen + "; states "
                        + Arrays.toString(threads.stream().map(Thread::getState).distinct().toArray()));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** The test's module reads no java.management: carriers are the platform threads of this class. */
    private static long carriers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getClass().getName().equals("jdk.internal.misc.CarrierThread")).count();
    }

    private static boolean isParked(Thread t) {
        Thread.State state = t.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    private static void join(List<Thread> threads) throws InterruptedException {
        for (Thread t : threads) {
            if (!t.join(WAIT)) {
                exit(3, t.getName() + " did not finish: " + t.getState());
            }
        }
    }

    private static void exit(int status, String why) {
        System.out.println(why);
        System.out.flush();
        Runtime.getRuntime().halt(status);
    }
}
