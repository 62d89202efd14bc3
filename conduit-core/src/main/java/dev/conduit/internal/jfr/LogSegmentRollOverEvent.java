package dev.conduit.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * JFR event {@code dev.conduit.LogSegmentRollOver}: A durable log started a new segment file.
 * Committed through {@link JfrEvents}.
 */
@Name("dev.conduit.LogSegmentRollOver")
@Label("Log Segment Roll-Over")
@Category("Conduit")
@Description("A durable log started a new segment file.")
public final class LogSegmentRollOverEvent extends Event {
    @Label("Segment")
    @Description("The new segment's file")
    String segment;
    @Label("Position")
    @Description("The log position of the new segment's first record")
    long position;
}
