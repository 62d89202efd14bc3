package dev.conduit.internal.fifo;

import dev.conduit.Endpoint;
import dev.conduit.MessageReceiver;
import dev.conduit.MessageSender;
import dev.conduit.TransportUnavailableException;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.Backoff;
import dev.conduit.internal.OneWayTransport;
import dev.conduit.internal.Options;
import dev.conduit.internal.frame.Framing;
import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.internal.posix.Fifos;
import dev.conduit.internal.posix.PosixFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * {@code fifo:PATH}: one-way messages through a named FIFO. {@code openReceiver} opens the read
 * end at once (making the FIFO, mode 0600, if there is none, and removing it on close if it is
 * still that one); {@code openSender} needs a receiver to have it open, or waits for one up to
 * its time-out. Options: {@code maxFrame}, {@code pipeSize}, the pipe buffer to ask the kernel
 * for ({@code F_SETPIPE_SZ}), and {@code framing} (frames, lines or raw).
 */
public final class FifoTransport implements OneWayTransport {
    /** The pipe buffer to ask for, in bytes; the kernel rounds it up to a power of two pages. */
    public static final String PIPE_SIZE = "pipeSize";
    private static final System.Logger LOG = System.getLogger("dev.conduit");
    private static final Path PIPE_MAX_SIZE = Path.of("/proc/sys/fs/pipe-max-size");

    @Override
    public Set<String> schemes() {
        return Set.of("fifo");
    }

    @Override
    public Set<String> optionNames() {
        return Set.of(Options.MAX_FRAME, Options.SPIN, PIPE_SIZE, Framing.OPTION);
    }

    @Override
    public MessageReceiver openReceiver(Endpoint endpoint) throws IOException {
        checkAvailable(endpoint);
        int maxFrame = Options.maxFrame(endpoint);
        Framing framing = Framing.of(endpoint);
        int pipeSize = pipeSize(endpoint);
        Path path = Path.of(endpoint.address());
        Object createdKey = null;
        if (FifoFiles.kind(path) == FifoFiles.Kind.ABSENT) {
            try {
                if (FifoFiles.create(path)) {
                    createdKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                            .fileKey();
                }
            } catch (IOException e) {
                throw new IOException(endpoint + ": openReceiver: " + e.getMessage(), e);
            }
        }
        int fd;
        try {
            fd = FifoFiles.open(endpoint.toString(), "openReceiver", path.toString(), PosixFiles.O_RDONLY);
        } catch (ErrnoException e) {
            throw new IOException(endpoint + ": openReceiver: " + e.getMessage(), e);
        }
        applyPipeSize(endpoint, "openReceiver", fd, pipeSize);
        return new FifoReceiver(endpoint, maxFrame, framing, fd, path, createdKey);
    }

    @Override
    public MessageSender openSender(Endpoint endpoint, Duration timeout) throws IOException {
        checkAvailable(endpoint);
        int maxFrame = Options.maxFrame(endpoint);
        Framing framing = Framing.of(endpoint);
        int pipeSize = pipeSize(endpoint);
        String file = Path.of(endpoint.address()).toString();
        long waitNanos = AbstractConnection.toWaitNanos(timeout);
        Backoff backoff = new Backoff(waitNanos);
        while (true) {
            try {
                int fd = FifoFiles.open(endpoint.toString(), "openSender", file, PosixFiles.O_WRONLY);
                applyPipeSize(endpoint, "openSender", fd, pipeSize);
                return new FifoSender(endpoint, maxFrame, framing, fd, file);
            } catch (ErrnoException e) {
                boolean retry = e.errno() == Errno.ENXIO || e.errno() == Errno.ENOENT;
                if (!retry || !backoff.pause(endpoint + ": openSender, waiting for a receiver,")) {
                    throw openSenderFailure(endpoint, timeout, waitNanos, e);
                }
            }
        }
    }

    private static IOException openSenderFailure(Endpoint endpoint, Duration timeout, long waitNanos,
            ErrnoException e) {
        String waited = waitNanos > 0 ? " (waited " + AbstractConnection.text(timeout) + ")" : "";
        String text = switch (e.errno()) {
            case Errno.ENXIO -> "no receiver has the FIFO open" + waited + "; a receiver must open the FIFO first"
                    + " (Conduit.openReceiver), or pass a time-out to openSender to wait for one";
            case Errno.ENOENT -> "no FIFO at " + endpoint.address() + waited + "; a receiver makes it when it"
                    + " opens (Conduit.openReceiver), or make it with Fifo.create";
            default -> e.getMessage();
        };
        return new IOException(endpoint + ": openSender: " + text, e);
    }

    private static void checkAvailable(Endpoint endpoint) throws TransportUnavailableException {
        Optional<String> why = Fifos.unavailability().or(PosixFiles::unavailability);
        if (why.isPresent()) {
            throw new TransportUnavailableException(endpoint + ": " + why.get());
        }
    }

    /** @return the {@code pipeSize} option, or 0 if absent */
    private static int pipeSize(Endpoint endpoint) {
        return (int) Options.size(endpoint, PIPE_SIZE, 0, Fifos.PIPE_BUF, 1L << 30);
    }

    private static void applyPipeSize(Endpoint endpoint, String call, int fd, int asked) throws IOException {
        if (asked == 0) {
            return;
        }
        try {
            int granted = Fifos.setPipeSize(fd, asked);
            if (granted != asked) {
                LOG.log(System.Logger.Level.INFO, "{0}: {1}: pipeSize={2} asked, the kernel granted {3} bytes",
                        endpoint, call, asked, granted);
            }
        } catch (ErrnoException e) {
            PosixFiles.close(fd);
            String why = switch (e.errno()) {
                case Errno.EPERM -> "above the limit for unprivileged processes, " + PIPE_MAX_SIZE + " = "
                        + pipeMaxSize() + " (raise it, or run with CAP_SYS_RESOURCE)";
                case Errno.EBUSY -> "smaller than what the FIFO holds now";
                default -> "";
            };
            throw new IOException(endpoint + ": " + call + ": pipeSize=" + asked + " refused" + (why.isEmpty() ? ""
                    : ": " + why) + ": " + e.getMessage(), e);
        }
    }

    private static String pipeMaxSize() {
        try {
            // readString reads procfs files, which report a size of 0, wrongly: one line at a time.
            return String.join("", Files.readAllLines(PIPE_MAX_SIZE)).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
