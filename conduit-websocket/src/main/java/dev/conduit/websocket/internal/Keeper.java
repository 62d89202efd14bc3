package dev.conduit.websocket.internal;

import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread for the JVM that tends every open WebSocket connection now and then: it
 * reads for connections no one is receiving on, pings, and ends connections whose peer went
 * silent (see {@link WebSocketConnection#tend()}). Its rounds never wait, so one thread serves
 * any number of connections; messages never pass through it while a receiver is at work.
 */
final class Keeper {
    /** The longest gap between rounds: a close frame or a ping waits at most this for an answer. */
    private static final long MAX_ROUND_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MIN_ROUND_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final ScheduledThreadPoolExecutor THREAD = new ScheduledThreadPoolExecutor(1, task -> {
        Thread t = new Thread(task, "conduit-ws-keeper");
        t.setDaemon(true);
        return t;
    });

    static {
        // Closed connections take their rounds out of the queue at once, not at their next run.
        THREAD.setRemoveOnCancelPolicy(true);
    }

    private Keeper() {
    }

    /**
     * Starts tending {@code connection}: four rounds per ping interval, between 10 ms and 1 s apart.
     *
     * @param pingNanos the connection's ping interval, 0 if it does not ping
     * @return what to cancel when the connection closes
     */
    static Future<?> tend(WebSocketConnection connection, long pingNanos) {
        long round = pingNanos == 0 ? MAX_ROUND_NANOS : Math.clamp(pingNanos / 4, MIN_ROUND_NANOS, MAX_ROUND_NANOS);
        return THREAD.scheduleWithFixedDelay(connection::tend, round, round, TimeUnit.NANOSECONDS);
    }
}
