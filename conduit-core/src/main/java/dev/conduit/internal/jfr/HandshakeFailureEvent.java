package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code dev.conduit.HandshakeFailure}: A listener dropped a client whose handshake failed.
 * Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.HandshakeFailure")
@Label("Handshake Failure")
@Category("Conduit")
@Description("A listener dropped a client whose handshake failed.")
public final class HandshakeFailureEvent extends Event {
    @Label("Endpoint")
    @Description("The listener's endpoint")
    String endpoint;
    @Label("Failure")
    String failure;
}
