package dev.conduit.internal.stat;

import dev.conduit.internal.ConnectionRegistry;
import dev.conduit.internal.posix.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes this process's connections and their counters for {@code conduit stat}: once the
 * first connection is made, a daemon thread rewrites {@link StatFile} every second from the
 * counters' plain fields, so the messaging threads do nothing for it. Linux only (the file is in
 * {@code /dev/shm}); off with {@code -Dconduit.stat=false}. The file is removed at normal exit;
 * after a crash, the next {@code conduit stat} or publishing process removes it.
 */
public final class StatPublisher {
    /** The system property that turns publishing off when {@code false}. */
    public static final String PROPERTY = "conduit.stat";
    private static final Duration PERIOD = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Held while writing and while removing at exit, so no write lands after the removal. */
    private static final Object FILE_LOCK = new Object();
    private static boolean exiting;

    private StatPublisher() {
    }

    /** Called for each connection made: starts publishing with the first. Cheap after that. */
    public static void connectionMade() {
        if (STARTED.get() || !STARTED.compareAndSet(false, true)) {
            return;
        }
        if (!Native.isLinux() || "false".equals(System.getProperty(PROPERTY))
                || !Files.isDirectory(StatFile.DIRECTORY)) {
            return;
        }
        long pid = ProcessHandle.current().pid();
        Path file = StatFile.of(StatFile.DIRECTORY, pid);
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(file), "conduit-stat-remove"));
        } catch (IllegalStateException e) {
            return; // shutting down already
        }
        Thread.ofPlatform().daemon().name("conduit-stat").start(() -> publish(pid));
    }

    private static void publish(long pid) {
        Instant started = StatFile.started();
        try {
            StatFile.removeStale(StatFile.DIRECTORY);
            while (true) {
                StatFile.Table table = new StatFile.Table(pid, started, Instant.now(), ConnectionRegistry.rows());
                synchronized (FILE_LOCK) {
                    if (exiting) {
                        return;
                    }
                    StatFile.write(StatFile.DIRECTORY, table);
                }
                Thread.sleep(PERIOD);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "conduit stat: stopped publishing " + StatFile.of(StatFile.DIRECTORY,
                    pid) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void remove(Path file) {
        synchronized (FILE_LOCK) {
            exiting = true;
        }
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".next"));
        } catch (IOException e) {
            // Exiting; the next stat removes it.
        }
    }
}
