package dev.conduit.internal.socket;

import dev.conduit.PeerCredentials;
import dev.conduit.internal.AbstractConnection;
import dev.conduit.internal.frame.StreamDecoder;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * One connection's side of its {@link ReceiveLimits}: the clocks of its time-outs and its share
 * of the receive budget. The clocks run on the receiving thread: each read notes the time, and a
 * receive that waits for bytes wakes when a time-out falls due, so a connection nobody receives
 * on times nothing out (its bytes wait in the kernel's socket buffer then, not in this heap).
 * Everything but {@link #evict} and {@link #release} is for the receiving thread alone.
 */
final class ReceiveGuard extends ReceiveBudget.Share {
    private static final System.Logger LOG = System.getLogger("dev.conduit");

    private final ReceiveLimits limits;
    private final SocketConnection connection;
    private final boolean timed;
    private long lastRead = System.nanoTime();
    private long frameStart;
    private boolean frameOpen;

    ReceiveGuard(ReceiveLimits limits, SocketConnection connection, String name, SocketChannel channel,
            PeerCredentials peer) {
        super(limits.budget(), name + " (peer " + peerOf(channel, peer) + ")");
        this.limits = limits;
        this.connection = connection;
        this.timed = limits.timed();
    }

    private static String peerOf(SocketChannel channel, PeerCredentials peer) {
        if (peer != null) {
            return "user=" + peer.user() + " group=" + peer.group();
        }
        try {
            return String.valueOf(channel.getRemoteAddress());
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Notes that a read brought bytes. */
    void read() {
        if (timed) {
            lastRead = System.nanoTime();
        }
    }

    /** Notes what the decoder holds after {@code next()}: the frame clock and the budget. */
    void decoded(boolean gotFrame, StreamDecoder decoder) {
        account(decoder.heldArrayBytes());
        if (limits.frameNanos() > 0) {
            if (!decoder.midFrame()) {
                frameOpen = false;
            } else if (gotFrame || !frameOpen) {
                // The held bytes of the next frame came with the last read.
                frameOpen = true;
                frameStart = lastRead;
            }
        }
    }

    /**
     * Bounds a wait by the time-outs.
     *
     * @param waitNanos the caller's wait, 0 for no limit
     * @return the wait, shortened to when a time-out falls due (0 still means no limit)
     * @throws IOException the connection's closing, once a time-out is due: it is closed then
     */
    long bound(long waitNanos, StreamDecoder decoder) throws IOException {
        if (!timed) {
            return waitNanos;
        }
        long now = System.nanoTime();
        long left = Long.MAX_VALUE;
        if (limits.idleNanos() > 0) {
            left = lastRead + limits.idleNanos() - now;
            if (left <= 0) {
                throw expired(idleWhy(), System.Logger.Level.INFO);
            }
        }
        if (frameOpen) {
            long frameLeft = frameStart + limits.frameNanos() - now;
            if (frameLeft <= 0) {
                throw expired(frameWhy(now, decoder), System.Logger.Level.WARNING);
            }
            left = Math.min(left, frameLeft);
        }
        return left == Long.MAX_VALUE ? waitNanos : waitNanos == 0 ? left : Math.min(waitNanos, left);
    }

    private String idleWhy() {
        return "closed by this side: the peer sent nothing for " + text(limits.idleNanos()) + " (idleTimeout="
                + text(limits.idleNanos()) + ")";
    }

    private String frameWhy(long now, StreamDecoder decoder) {
        return "closed by this side: a frame was still incomplete " + text(now - frameStart) + " after its first"
                + " byte (" + decoder.heldBytes() + " bytes of it received; frameTimeout="
                + text(limits.frameNanos()) + ")";
    }

    private IOException expired(String why, System.Logger.Level level) {
        LOG.log(level, "{0}: {1}", describe(), why);
        connection.evict(why);
        return connection.evicted("receive");
    }

    private static String text(long nanos) {
        return AbstractConnection.text(Duration.ofNanos(nanos));
    }

    @Override
    public void evict(String why) {
        connection.evict(why);
    }
}
