package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code dev.conduit.Accept}: A listener handed out an accepted connection. Committed
 * through {@link JfrEvents}.
 */
@Name("dev.conduit.Accept")
@Label("Accept")
@Category("Conduit")
@Description("A listener handed out an accepted connection.")
public final class AcceptEvent extends Event {
    @Label("Endpoint")
    @Description("The listener's endpoint")
    String endpoint;
    @Label("Connection")
    String connection;
}
