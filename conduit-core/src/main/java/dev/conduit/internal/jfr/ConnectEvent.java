package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code dev.conduit.Connect}: A connect call, whether it succeeded or failed; its duration
 * is the call's. Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.Connect")
@Label("Connect")
@Category("Conduit")
@Description("A connect call, whether it succeeded or failed; its duration is the call's.")
public final class ConnectEvent extends Event {
    @Label("Endpoint")
    String endpoint;
    @Label("Connection")
    @Description("How the connection names itself; null if the connect failed")
    String connection;
    @Label("Failure")
    @Description("Why the connect failed; null if it succeeded")
    String failure;
}
