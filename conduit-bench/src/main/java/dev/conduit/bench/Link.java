package dev.conduit.bench;

import java.io.IOException;

/**
 * One end of a two-way message link under test: a Conduit connection, or a peer library's
 * equivalent. The harness drives every link the same way. One thread sends and receives.
 */
public interface Link extends AutoCloseable {
    /**
     * Sends one whole message, blocking (or spinning, as the library does) while the peer is full.
     *
     * @param message the array holding the message
     * @param length  the message's length
     * @throws Exception if the link failed
     */
    void send(byte[] message, int length) throws Exception;

    /**
     * Queues one whole message to go out with the next {@link #flush()}; links without batching
     * send it at once.
     *
     * @param message the array holding the message
     * @param length  the message's length
     * @throws Exception if the link failed
     */
    default void write(byte[] message, int length) throws Exception {
        send(message, length);
    }

    /**
     * Sends everything written so far that the link may still be holding back; a no-op for links
     * that send at once.
     *
     * @throws Exception if the link failed
     */
    default void flush() throws Exception {
    }

    /**
     * Blocks (or spins) until one whole message arrives.
     *
     * @return an array holding the message from index 0; valid until the next call
     * @throws Exception if the link failed or the peer closed
     */
    byte[] receive() throws Exception;

    /** @return the length of the message last returned by {@link #receive()} */
    int lastLength();

    /**
     * Receives messages until an empty one, checking each as it comes: the receiving side of a
     * one-way phase. A link whose library hands messages over in place checks them there, as a
     * user after speed would; the default copies each one through {@link #receive()}.
     *
     * @param payloads checks every message; the first must carry sequence number 0
     * @return how many messages came before the empty one
     * @throws Exception if the link failed, or a message is wrong ({@link IllegalStateException})
     */
    default long receiveChecked(Payloads payloads) throws Exception {
        long count = 0;
        while (true) {
            byte[] m = receive();
            if (lastLength() == 0) {
                return count;
            }
            payloads.verify(m, lastLength(), (int) count++);
        }
    }

    @Override
    void close() throws IOException;
}
