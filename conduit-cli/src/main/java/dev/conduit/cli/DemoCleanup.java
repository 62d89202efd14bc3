package dev.conduit.cli;

import dev.conduit.ProcessConnection;
import dev.conduit.queue.MessageQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Undoes what {@code conduit demo} set up: stops the child JVM, removes the System V queues a
 * killed child (or this JVM, stopped by Ctrl-C) left, and deletes the temporary directory.
 * Runs at most once, from the demo's {@code finally} or its shutdown hook, whichever
 * comes first; thread-safe.
 */
final class DemoCleanup implements Runnable {
    private static final long EXIT_WAIT_SECONDS = 2;

    private final Path directory;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile ProcessConnection child;
    private volatile int firstQueueKey;
    private volatile int queueCount;

    /** @param directory a fresh temporary directory, deleted with its contents */
    DemoCleanup(Path directory) {
        this.directory = directory;
    }

    /** @return the temporary directory */
    Path directory() {
        return directory;
    }

    /**
     * @param spawned the child, to be stopped by {@link #run}
     * @return {@code spawned}
     */
    ProcessConnection child(ProcessConnection spawned) {
        this.child = spawned;
        if (done.get()) {
            stop(spawned); // shutdown began while it was being spawned
        }
        return spawned;
    }

    /**
     * @param firstKey the first of the System V queue keys the demo uses
     * @param count    how many keys, from {@code firstKey} on
     * @return {@code firstKey}
     */
    int queues(int firstKey, int count) {
        firstQueueKey = firstKey;
        queueCount = count;
        return firstKey;
    }

    /** @return whether {@link #run} has begun: the demo is over, or the JVM is shutting down */
    boolean started() {
        return done.get();
    }

    /** Closes the child's connection (it then exits), kills it if it has not, and deletes the directory. */
    @Override
    public void run() {
        if (!done.compareAndSet(false, true)) {
            return;
        }
        ProcessConnection c = child;
        if (c != null) {
            stop(c);
        }
        for (int i = 0; i < queueCount; i++) {
            MessageQueue.Options existing = MessageQueue.Options.DEFAULT.withExisting();
            try (MessageQueue queue = MessageQueue.open(firstQueueKey + i, existing)) {
                queue.remove();
            } catch (IOException e) {
                // None left with this key: the receivers removed their queues, as they should.
            }
        }
        deleteTree(directory);
    }

    private static void stop(ProcessConnection c) {
        try {
            c.close(); // ends its input; it exits, or is killed after a grace period
        } catch (IOException e) {
            // Closed all the same; the process is checked below.
        }
        Process p = c.process();
        if (p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("conduit: demo: could not delete " + root + ": " + e.getMessage());
        }
    }
}
