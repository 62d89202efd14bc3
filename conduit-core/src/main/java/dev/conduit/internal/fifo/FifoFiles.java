package dev.conduit.internal.fifo;

import dev.conduit.internal.posix.Errno;
import dev.conduit.internal.posix.ErrnoException;
import dev.conduit.internal.posix.Fifos;
import dev.conduit.internal.posix.PosixFiles.FileStatus;
import dev.conduit.internal.posix.PosixFiles;
import dev.conduit.internal.posix.Users;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Making, checking, opening and removing FIFO files, never through a symbolic link.
 *
 * <p>Why {@code 0600} whatever the umask without a window: {@code mkfifo} applies the umask,
 * which only removes bits, so the new FIFO is never more open than {@code 0600}; the mode is then
 * set through an {@code O_PATH|O_NOFOLLOW} descriptor (via {@code /proc/self/fd}, as glibc's
 * {@code fchmodat(AT_SYMLINK_NOFOLLOW)} does) after checking that it is a FIFO of ours, so a file
 * swapped in meanwhile is never touched. An {@code O_PATH} open, unlike a read or write open, is
 * invisible to the FIFO's other users.
 */
public final class FifoFiles {
    private static final int OWNER_READ_WRITE = 0600;

    private FifoFiles() {
    }

    /** @see dev.conduit.Fifo#create */
    public static boolean create(Path path) throws IOException {
        String file = checkPath(path);
        try {
            Fifos.mkfifo(file, OWNER_READ_WRITE);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EEXIST) {
                throw new IOException("Fifo.create(" + file + "): " + e.getMessage(), e);
            }
            requireFifo(path, "Fifo.create");
            return false;
        }
        int fd;
        try {
            fd = PosixFiles.open(file, PosixFiles.O_PATH | PosixFiles.O_NOFOLLOW);
        } catch (ErrnoException e) {
            throw new IOException("Fifo.create(" + file + "): the new FIFO vanished before its mode was set: "
                    + e.getMessage(), e);
        }
        try {
            FileStatus status = PosixFiles.fstat(fd);
            if (!status.isFifo() || status.uid() != Users.getuid()) {
                throw new FileAlreadyExistsException(file, null, "Fifo.create: the new FIFO was replaced by another"
                        + " file before its mode was set; left alone");
            }
            Files.setPosixFilePermissions(Path.of("/proc/self/fd/" + fd), PosixFilePermissions.fromString("rw-------"));
        } finally {
            PosixFiles.close(fd);
        }
        return true;
    }

    /** @see dev.conduit.Fifo#remove */
    public static boolean remove(Path path) throws IOException {
        String file = checkPath(path);
        if (kind(path) == Kind.ABSENT) {
            return false;
        }
        requireFifo(path, "Fifo.remove");
        try {
            Files.delete(path);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new IOException("Fifo.remove(" + file + "): " + e.getMessage(), e);
        }
    }

    /** @return the path as the C library takes it, checked */
    static String checkPath(Path path) {
        String file = path.toString();
        if (file.isEmpty()) {
            throw new IllegalArgumentException("FIFO path is empty (expected e.g. /tmp/izi_ipc_NAME)");
        }
        return file;
    }

    enum Kind { ABSENT, FIFO, LINK, OTHER }

    /** @return what is at {@code path}, without following a link */
    static Kind kind(Path path) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Kind.ABSENT;
        }
        int type = (int) attributes.get("mode") & PosixFiles.S_IFMT;
        if (type == PosixFiles.S_IFIFO) {
            return Kind.FIFO;
        }
        return type == 0120000 ? Kind.LINK : Kind.OTHER;
    }

    /** @throws FileAlreadyExistsException unless a FIFO is at {@code path} */
    static void requireFifo(Path path, String call) throws IOException {
        switch (kind(path)) {
            case FIFO -> { }
            case ABSENT -> throw new NoSuchFileException(path.toString(), null, call + ": no such FIFO");
            case LINK -> throw new FileAlreadyExistsException(path.toString(), null,
                    call + ": a symbolic link is there, not a FIFO; not following it");
            case OTHER -> throw new FileAlreadyExistsException(path.toString(), null,
                    call + ": a file that is not a FIFO is there; left alone");
        }
    }

    /**
     * Opens a FIFO end without blocking and without following a symbolic link, and checks that
     * what it opened is a FIFO.
     *
     * @param flags {@link PosixFiles#O_RDONLY} or {@link PosixFiles#O_WRONLY}; {@code O_NONBLOCK} and
     *              {@code O_NOFOLLOW} are added
     * @return the descriptor, non-blocking
     * @throws ErrnoException from {@code open} ({@code ENXIO}: a writer found no reader)
     * @throws IOException    naming the endpoint if the file is not a FIFO
     */
    static int open(String endpoint, String call, String file, int flags) throws IOException {
        int fd;
        try {
            fd = PosixFiles.open(file, flags | PosixFiles.O_NONBLOCK | PosixFiles.O_NOFOLLOW | PosixFiles.O_NOCTTY);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ELOOP) {
                throw new IOException(endpoint + ": " + call + ": " + file
                        + " is a symbolic link; FIFOs are never opened through one", e);
            }
            throw e;
        }
        try {
            if (!PosixFiles.fstat(fd).isFifo()) {
                throw new IOException(endpoint + ": " + call + ": " + file + " is not a FIFO; left alone");
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            PosixFiles.close(fd);
            throw e;
        }
    }
}
