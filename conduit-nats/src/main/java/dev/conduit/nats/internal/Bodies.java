package dev.conduit.nats.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/** Messages as jnats takes and gives them: whole arrays. */
final class Bodies {
    private Bodies() {
    }

    /**
     * The message as an array jnats may keep. Always a copy: jnats keeps the array it is given
     * until its writer thread has sent it, after publish returns, so the caller's own array
     * could change under it.
     *
     * @param message a message, valid during the call
     * @return its bytes
     */
    static byte[] array(MemorySegment message) {
        return message.toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * A received body as the read-only view Conduit hands on.
     *
     * @param data a message's data, or {@code null} for an empty one
     * @return the view
     */
    static ByteBuffer view(byte[] data) {
        return ByteBuffer.wrap(data == null ? new byte[0] : data).asReadOnlyBuffer();
    }
}
