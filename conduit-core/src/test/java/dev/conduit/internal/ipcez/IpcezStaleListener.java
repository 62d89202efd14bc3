package dev.conduit.internal.ipcez;

import dev.conduit.Conduit;
import dev.conduit.Endpoint;
import dev.conduit.Listener;
import dev.conduit.internal.posix.Semaphores;

import java.lang.foreign.MemorySegment;

/**
 * A child JVM for {@link IpcezAckTest}: listens with {@code ?ack=ipcez} on the endpoint in its
 * argument, leaves three acknowledgements in {@code data_acked} as if clients' messages had been
 * taken after they stopped waiting, says {@code ready}, and waits to be killed.
 */
public final class IpcezStaleListener {
    private IpcezStaleListener() {
    }

    /** @param args the endpoint */
    public static void main(String[] args) throws Exception {
        Endpoint endpoint = Endpoint.parse(args[0]);
        try (Listener listener = Conduit.listen(endpoint)) {
            MemorySegment acked = Semaphores.open(IpcezAck.ackedName(endpoint), 0, 0600);
            for (int i = 0; i < 3; i++) {
                Semaphores.post(acked, "data_acked");
            }
            System.out.println("ready " + listener.endpoint());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
