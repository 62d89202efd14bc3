package dev.conduit;

import java.io.IOException;
import java.util.Optional;

/**
 * A two-way message connection: a {@link MessageSender} and a {@link MessageReceiver} over one
 * transport, with per-connection FIFO order in each direction. Sending and receiving may run in
 * different threads at the same time.
 */
public interface Connection extends MessageSender, MessageReceiver {
    /** @return the endpoint this connection was made for, with any port or path resolved */
    Endpoint endpoint();

    /**
     * @return the peer's user and group as the kernel reports them, for local sockets; empty
     *         for transports that cannot tell
     */
    default Optional<PeerCredentials> peerCredentials() {
        return Optional.empty();
    }

    /** @return {@code false} once this side closed or the connection was found lost */
    boolean isOpen();

    /**
     * @param codec turns values into messages and back
     * @return a view of this connection that sends and receives values of type {@code T};
     *         closing it closes this connection. Raw calls on this connection stay usable.
     */
    default <T> TypedConnection<T> typed(Codec<T> codec) {
        return new TypedConnection<>(this, codec);
    }

    /**
     * Closes both directions in order; see {@link MessageSender#close()}. Idempotent.
     *
     * @throws IOException if releasing resources failed; the connection is closed all the same
     */
    @Override
    void close() throws IOException;
}
