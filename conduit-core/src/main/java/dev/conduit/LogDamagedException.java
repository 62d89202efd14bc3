package dev.conduit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@code log:} receiver met a damaged place in the log's files: a record whose length runs
 * past its segment, whose checksum does not match its payload, whose state word is none the
 * format knows, an END marker before records that were written after it, or a segment file
 * whose size is not what its header says. The message names the endpoint, the call, the
 * segment file, the log position and what is wrong.
 *
 * <p>By default ({@code ?onDamage=stop}) a receiver throws this from the receive call that
 * met the damage and closes; its {@link LogPosition} stays at the damaged place, so nothing
 * after it is passed over unseen. With {@code ?onDamage=skip} it goes on from the next good
 * record instead, and the places it skipped are reported by {@link LogDamage#of}.
 */
public final class LogDamagedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path segment;
    /** The log position where the damage starts. */
    private final long position;
    /** What is wrong there, without the endpoint, file and position. */
    private final String problem;

    /**
     * Makes the exception; its message joins the context, the position, the segment and the
     * problem.
     *
     * @param context  names the endpoint and the call, e.g. {@code log:/var/tmp/events: receive}
     * @param segment  the segment file the damage is in
     * @param position the log position where the damage starts
     * @param problem  what is wrong, e.g. {@code checksum 0x1234abcd does not match the payload's 0x0}
     * @throws NullPointerException if {@code segment} or {@code problem} is {@code null}
     */
    public LogDamagedException(String context, Path segment, long position, String problem) {
        super(context + ": damaged log at position " + position + " (" + segment + "): " + problem);
        this.segment = Objects.requireNonNull(segment, "segment");
        this.position = position;
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    /**
     * Where the damage is on disk.
     *
     * @return the segment file the damage is in; {@code null} if this exception was deserialized
     *         (the path is not serialized)
     */
    public Path segment() {
        return segment;
    }

    /**
     * Where the damage is in the log.
     *
     * @return the log position where the damage starts, as {@link LogPosition#offset()} counts it
     */
    public long position() {
        return position;
    }

    /**
     * What the receiver found wrong.
     *
     * @return what is wrong there, without the endpoint, file and position
     */
    public String problem() {
        return problem;
    }
}
