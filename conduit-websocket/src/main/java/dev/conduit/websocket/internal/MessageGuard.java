package dev.conduit.websocket.internal;

import dev.conduit.spi.support.ReceiveLimits;
import dev.conduit.spi.support.ReceiveShare;
import dev.conduit.spi.support.Timeouts;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

import java.time.Duration;

/**
 * One WebSocket connection's side of its {@link ReceiveLimits}, conduit-core's: the clocks of
 * {@code ?idleTimeout=} and {@code ?frameTimeout=} (a message begun and not finished), and its
 * share of the receive budget for partly received messages, which it shares with every stream
 * listener of the process that names none (the process's, unless the listener names its own).
 *
 * <p>The clocks are read by the {@link Keeper}, which tends every connection whether anyone
 * receives on it or not, so a time-out falls due within a keeper round (at most a second) of
 * its time. They pause while the keeper does not read for the connection (its inbox is full):
 * the peer's bytes then wait in the kernel, and its silence says nothing. {@link #fed} and
 * {@link #overdue} run under the connection's pipeline lock; {@link #account} outside it (the
 * budget may close another connection, which takes that one's lock).
 */
final class MessageGuard extends ReceiveShare {
    private static final System.Logger LOG = System.getLogger("dev.conduit");

    private final ReceiveLimits limits;
    private final WebSocketConnection connection;
    private final MessageMeter meter;
    // Under the pipeline lock.
    private long lastActive = System.nanoTime();
    private long messageStart;
    private boolean messageOpen;

    /** @param peer the peer's address, for the log */
    MessageGuard(ReceiveLimits limits, WebSocketConnection connection, MessageMeter meter, String name, String peer) {
        super(limits, name + " (peer " + peer + ")");
        this.limits = limits;
        this.connection = connection;
        this.meter = meter;
    }

    /** What to close a connection with, and why. */
    record Overdue(WebSocketCloseStatus status, String why) {
    }

    /**
     * After bytes went through the pipeline: runs the clocks. Under the pipeline lock.
     *
     * @return the bytes held for messages not yet complete, for {@link #account}
     */
    long fed(long now) {
        if (meter.takeActivity()) {
            lastActive = now;
        }
        boolean restarted = meter.takeCompleted();
        if (meter.received() == 0) {
            messageOpen = false;
        } else if (restarted || !messageOpen) {
            // The bytes held of the next message came with this read.
            messageOpen = true;
            messageStart = now;
        }
        return meter.held();
    }

    /** The keeper is not reading for the connection: the clocks wait. Under the pipeline lock. */
    void paused(long now) {
        lastActive = now;
        if (messageOpen) {
            messageStart = now;
        }
    }

    /**
     * The keeper's check, under the pipeline lock; logs what it finds.
     *
     * @return why to close the connection now, or null
     */
    Overdue overdue(long now) {
        if (limits.frameNanos() > 0 && messageOpen && now - messageStart >= limits.frameNanos()) {
            String why = "closed by this side: a message was still incomplete " + text(now - messageStart)
                    + " after its first byte (" + meter.received() + " bytes of it received; frameTimeout="
                    + text(limits.frameNanos()) + ")";
            LOG.log(System.Logger.Level.WARNING, "{0}: {1}", describe(), why);
            return new Overdue(WebSocketCloseStatus.POLICY_VIOLATION, why);
        }
        if (limits.idleNanos() > 0 && now - lastActive >= limits.idleNanos()) {
            String why = "closed by this side: the peer sent no message for " + text(now - lastActive)
                    + " (idleTimeout=" + text(limits.idleNanos()) + "; pings and pongs do not count)";
            LOG.log(System.Logger.Level.INFO, "{0}: {1}", describe(), why);
            return new Overdue(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, why);
        }
        return null;
    }

    private static String text(long nanos) {
        return Timeouts.text(Duration.ofNanos(nanos));
    }

    @Override
    protected void evict(String why) {
        connection.shut(WebSocketCloseStatus.MESSAGE_TOO_BIG, why);
    }
}
