package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code dev.conduit.FrameTooLong}: A frame longer than the connection's maximum was
 * refused. Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.FrameTooLong")
@Label("Frame Too Long")
@Category("Conduit")
@Description("A frame longer than the connection's maximum was refused.")
public final class FrameTooLongEvent extends Event {
    @Label("Connection")
    String connection;
    @Label("Direction")
    @Description("in: the peer announced it, and the connection ends; out: a send was refused")
    String direction;
    @Label("Length")
    @DataAmount
    long length;
    @Label("Maximum")
    @DataAmount
    long maximum;
}
