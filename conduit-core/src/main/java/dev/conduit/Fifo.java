package dev.conduit;

import dev.conduit.internal.fifo.FifoFiles;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Named FIFOs on the file system, for the {@code fifo:PATH} endpoints of
 * {@link Conduit#openSender(String)} and {@link Conduit#openReceiver(String)}. izilang's
 * {@code std.ipc} names its FIFOs {@code /tmp/izi_ipc_NAME}.
 *
 * <p>Both methods are static, thread-safe and never block on a FIFO's other end. Linux only.
 */
public final class Fifo {
    private Fifo() {
    }

    /**
     * Creates a FIFO at {@code path} with mode {@code 0600} (owner read and write), whatever the
     * process's umask. A FIFO already there is fine and is left as it is.
     *
     * @param path where; its directory must exist
     * @return {@code true} if this call created the FIFO, {@code false} if one was there
     * @throws IllegalArgumentException if the path is empty
     * @throws java.nio.file.FileAlreadyExistsException if something other than a FIFO is there,
     *         a symbolic link included (never followed)
     * @throws IOException if the FIFO cannot be made (no such directory, no permission, ...),
     *                     naming the path and the error
     */
    public static boolean create(Path path) throws IOException {
        return FifoFiles.create(path);
    }

    /**
     * Removes the FIFO at {@code path}. Nothing there is fine. Processes that have it open keep
     * their ends.
     *
     * @param path the FIFO
     * @return {@code true} if a FIFO was removed, {@code false} if nothing was there
     * @throws IllegalArgumentException if the path is empty
     * @throws IOException if something other than a FIFO is there (it is left alone), or it
     *                     cannot be removed, naming the path and the error
     */
    public static boolean remove(Path path) throws IOException {
        return FifoFiles.remove(path);
    }
}
