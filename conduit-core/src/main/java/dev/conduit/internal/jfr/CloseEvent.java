package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/**
 * JFR event {@code dev.conduit.Close}: An application closed a connection; its counters then.
 * Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.Close")
@Label("Close")
@Category("Conduit")
@Description("An application closed a connection; its counters then.")
public final class CloseEvent extends Event {
    @Label("Connection")
    String connection;
    @Label("Lost")
    @Description("Whether the peer had closed or been lost before")
    boolean lost;
    @Label("Messages Out")
    long messagesOut;
    @Label("Bytes Out")
    @DataAmount
    long bytesOut;
    @Label("Messages In")
    long messagesIn;
    @Label("Bytes In")
    @DataAmount
    long bytesIn;
    @Label("Send Blocked")
    @Description("Time senders waited for the peer")
    @Timespan
    long sendBlocked;
    @Label("Frames Refused")
    long framesRefused;
}
