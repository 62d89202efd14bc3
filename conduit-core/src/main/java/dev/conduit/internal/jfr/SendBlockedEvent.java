package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * JFR event {@code dev.conduit.SendBlocked}: A send waited for the peer to make room longer than the
 * threshold; its duration is the wait. Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.SendBlocked")
@Label("Send Blocked")
@Category("Conduit")
@Description("A send waited for the peer to make room longer than the threshold; its duration is the wait.")
@Threshold("1 ms")
public final class SendBlockedEvent extends Event {
    @Label("Connection")
    String connection;
    @Label("Call")
    String call;
}
