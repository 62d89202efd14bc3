package dev.conduit.internal.jfr;

import dev.conduit.ConnectionCounters;

import jdk.jfr.FlightRecorder;

import java.util.function.Supplier;

/**
 * Commits Conduit's JFR events (names {@code dev.conduit.*}, category "Conduit"). Each method
 * first asks whether JFR has started in this JVM at all (one static read), and only then makes
 * the event and asks it whether a recording wants it: so with JFR off nothing is allocated, even
 * where the JIT would not remove an unused event object. Events are committed on the thread that
 * did the work, so a recording's stack traces and threads point at the caller.
 */
public final class JfrEvents {
    private JfrEvents() {
    }

    /** @return a started connect event, or {@code null} if no recording wants one */
    public static ConnectEvent connectBegins() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        ConnectEvent event = new ConnectEvent();
        if (!event.isEnabled()) {
            return null;
        }
        event.begin();
        return event;
    }

    /**
     * Ends and commits a connect event from {@link #connectBegins()}.
     *
     * @param event      the event, or {@code null} (nothing to do)
     * @param endpoint   the endpoint, redacted
     * @param connection the connection's name, or {@code null} if the connect failed
     * @param failure    what failed, or {@code null}
     */
    public static void connectEnds(ConnectEvent event, String endpoint, String connection, Throwable failure) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.endpoint = endpoint;
            event.connection = connection;
            event.failure = failure == null ? null : String.valueOf(failure.getMessage());
            event.commit();
        }
    }

    /** A listener on {@code endpoint} (redacted) handed out the connection {@code connection}. */
    public static void accepted(String endpoint, String connection) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        AcceptEvent event = new AcceptEvent();
        if (event.shouldCommit()) {
            event.endpoint = endpoint;
            event.connection = connection;
            event.commit();
        }
    }

    /** A listener on {@code endpoint} (redacted) dropped a client whose handshake failed. */
    public static void handshakeFailed(String endpoint, Throwable failure) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        HandshakeFailureEvent event = new HandshakeFailureEvent();
        if (event.shouldCommit()) {
            event.endpoint = endpoint;
            event.failure = String.valueOf(failure.getMessage());
            event.commit();
        }
    }

    /** The application closed {@code connection}; its counters are read only if the event is wanted. */
    public static void closed(String connection, boolean lost, Supplier<ConnectionCounters> counters) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        CloseEvent event = new CloseEvent();
        if (event.shouldCommit()) {
            ConnectionCounters c = counters.get();
            event.connection = connection;
            event.lost = lost;
            event.messagesOut = c.messagesOut();
            event.bytesOut = c.bytesOut();
            event.messagesIn = c.messagesIn();
            event.bytesIn = c.bytesIn();
            event.sendBlocked = c.sendBlockedNanos();
            event.framesRefused = c.framesRefused();
            event.commit();
        }
    }

    /**
     * A frame of {@code length} bytes, above {@code maximum}, was refused on {@code connection}.
     *
     * @param incoming whether the peer announced it (else a send was refused)
     */
    public static void frameTooLong(String connection, boolean incoming, long length, long maximum) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        FrameTooLongEvent event = new FrameTooLongEvent();
        if (event.shouldCommit()) {
            event.connection = connection;
            event.direction = incoming ? "in" : "out";
            event.length = length;
            event.maximum = maximum;
            event.commit();
        }
    }

    /** @return a started send-blocked event, or {@code null} if no recording wants one */
    public static SendBlockedEvent sendBlockBegins() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        SendBlockedEvent event = new SendBlockedEvent();
        if (!event.isEnabled()) {
            return null;
        }
        event.begin();
        return event;
    }

    /**
     * Ends a send-blocked event from {@link #sendBlockBegins()}, and commits it if the wait
     * passed the recording's threshold (1 ms unless the recording sets
     * {@code dev.conduit.SendBlocked#threshold}).
     *
     * @param event the event, or {@code null} (nothing to do)
     */
    public static void sendBlockEnds(SendBlockedEvent event, String connection, String call) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        if (event == null) {
            return;
        }
        event.end();
        if (event.shouldCommit()) {
            event.connection = connection;
            event.call = call;
            event.commit();
        }
    }

    /** A durable log started the segment file {@code segment}, whose first record is at {@code position}. */
    public static void segmentRolledOver(String segment, long position) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        LogSegmentRollOverEvent event = new LogSegmentRollOverEvent();
        if (event.shouldCommit()) {
            event.segment = segment;
            event.position = position;
            event.commit();
        }
    }
}
