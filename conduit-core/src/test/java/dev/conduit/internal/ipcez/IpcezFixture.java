package dev.conduit.internal.ipcez;

import dev.conduit.Endpoint;
import dev.conduit.internal.posix.Semaphores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The semaphores an ipcez endpoint's test made, for checking and for cleaning up even after a failure. */
final class IpcezFixture {
    private IpcezFixture() {
    }

    /** @return the files under /dev/shm that hold the endpoint's semaphores and exist now */
    static List<Path> semaphoreFiles(Endpoint endpoint) {
        List<Path> files = new ArrayList<>();
        for (String name : List.of(IpcezAck.readyName(endpoint), IpcezAck.ackedName(endpoint))) {
            Path file = Path.of("/dev/shm", "sem." + name.substring(1));
            if (Files.exists(file)) {
                files.add(file);
            }
        }
        return files;
    }

    /** Unlinks the endpoint's semaphores if they are there. */
    static void unlinkSemaphores(Endpoint endpoint) throws IOException {
        Semaphores.unlink(IpcezAck.readyName(endpoint));
        Semaphores.unlink(IpcezAck.ackedName(endpoint));
    }

    /** Message {@code i} of ipcez_peer.c's sequence: 0 empty, 1 of 4 MiB, then up to 999 bytes. */
    static byte[] message(int i) {
        int size = i == 0 ? 0 : i == 1 ? 4 << 20 : (i * 37) % 1000;
        byte[] b = new byte[size];
        for (int k = 0; k < size; k++) {
            b[k] = (byte) (i * 31 + k * 7 + (k >>> 8));
        }
        return b;
    }
}
