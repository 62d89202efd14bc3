package dev.conduit.internal.log;

import java.io.IOException;

/**
 * How a receiver follows a log beyond reading it: its named cursor ({@code ?cursor=}, or none),
 * its registration for retention ({@link Readers}), and what it does behind retention
 * ({@code ?onTrimmed=}). Owned by the receiver; used by its receiving thread, and by its close.
 */
final class Following {
    private static final System.Logger LOG = System.getLogger("dev.conduit");

    private final Cursor cursor;
    private final Readers readers;
    /** {@code ?onTrimmed=oldest}: move on to the oldest record kept rather than fail. */
    final boolean toOldest;

    /**
     * @param cursor   the receiver's cursor, or null; owned from now on
     * @param readers  its registration; owned from now on
     * @param toOldest {@code ?onTrimmed=oldest}
     */
    Following(Cursor cursor, Readers readers, boolean toOldest) {
        this.cursor = cursor;
        this.readers = readers;
        this.toOldest = toOldest;
    }

    /** @return the position the cursor holds; -1 if there is no cursor or it holds none yet */
    long stored() {
        return cursor == null ? -1 : cursor.position();
    }

    /** Stores the receiver's position in its cursor, if it has one: plain stores, no system call. */
    void store(long position) {
        if (cursor != null) {
            cursor.store(position);
        }
    }

    /**
     * Says in the registration that the receiver is on the segment at {@code base} now. One that
     * cannot be written (a full disk) does not fail the receive: it still names an earlier
     * segment, which keeps this one too, so it is logged and tried again at the next move.
     *
     * @param name the receiver, for the log line
     */
    void on(long base, String name) {
        try {
            readers.on(base);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: receive: cannot update its registration: {1}", name,
                    e.toString());
        }
    }

    /**
     * Stores {@code position} (if non-negative) and releases the cursor, and removes the
     * registration. Called once.
     */
    void close(long position) throws IOException {
        try {
            if (cursor != null) {
                if (position >= 0) {
                    cursor.store(position);
                }
                cursor.close();
            }
        } finally {
            readers.remove();
        }
    }
}
