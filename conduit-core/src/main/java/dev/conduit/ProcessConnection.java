package dev.conduit;

import java.io.IOException;

/**
 * A connection to a child process over its standard input and output, made by
 * {@link Conduit#spawn}. The child's standard error passes through to this process's.
 * The child exiting, or closing its standard output, ends receive calls with
 * {@link ConnectionClosedException} once its messages were received.
 */
public interface ProcessConnection extends Connection {
    /**
     * The child at the other end, e.g. to read its exit status. Never blocks; any thread may call
     * it.
     *
     * @return the child process, never {@code null}
     */
    Process process();

    /**
     * Closes the child's standard input (so it sees end of stream after the messages sent),
     * waits up to two seconds for it to exit, and kills it if it has not. Idempotent.
     *
     * @throws IOException if releasing resources failed; the connection is closed all the same
     */
    @Override
    void close() throws IOException;
}
