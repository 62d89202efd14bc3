package dev.conduit.spi.support;

/** How {@link MessageConnection#sendMessage} is asked to hand a message to the transport. */
public enum SendMode {
    /**
     * {@code send}: sends the message, and every one written before it, waiting while the peer
     * is full.
     */
    SEND("send"),
    /**
     * {@code trySend}: sends the message, and every one written before it, if that needs no
     * wait for the peer; otherwise sends nothing of it and reports {@code false}.
     */
    TRY_SEND("trySend"),
    /**
     * {@code write}: queues the message behind every one written before it. A transport may
     * send it at once; one that keeps it sends it in {@link MessageConnection#flushWritten()},
     * or earlier, waiting as {@link #SEND} does when it must send to make room.
     */
    WRITE("write");

    private final String call;

    SendMode(String call) {
        this.call = call;
    }

    /**
     * Names the API call that sends this way, for error messages
     * ({@code unix:/tmp/a.sock: send: connection closed by peer}).
     *
     * @return {@code send}, {@code trySend} or {@code write}
     */
    public String call() {
        return call;
    }
}
