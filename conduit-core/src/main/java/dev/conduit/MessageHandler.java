package dev.conduit;

import java.nio.ByteBuffer;

/**
 * Receives one message as a read-only view. The view is valid only during the call: the
 * transport reuses its memory (and, for zero-copy transports, the view points into shared
 * memory), so copy what you need to keep.
 */
@FunctionalInterface
public interface MessageHandler {
    /**
     * Handles one message, on the thread that receives it. An exception thrown here propagates
     * to the receive call or ends the {@code onMessage} loop; the message counts as consumed.
     *
     * @param message read-only, positioned at the first payload byte, with
     *                {@code remaining()} equal to the message length
     */
    void onMessage(ByteBuffer message);
}
