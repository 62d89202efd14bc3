package dev.conduit.internal;

import dev.conduit.ConnectionCounters;
import dev.conduit.internal.stat.StatPublisher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The connections of this process that {@code conduit stat} shows: every {@link AbstractConnection}
 * from its construction until it is closed. Weakly held, so a connection dropped without
 * {@code close} (or whose transport's constructor failed after ours ran) does not stay. Touched
 * once per connection made and closed, and once a second by {@link StatPublisher}, never per
 * message.
 */
public final class ConnectionRegistry {
    private static final Set<AbstractConnection> CONNECTIONS =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private ConnectionRegistry() {
    }

    /** One connection as {@code conduit stat} shows it. */
    public record Row(String state, ConnectionCounters counters, String name) {
    }

    static void add(AbstractConnection connection) {
        CONNECTIONS.add(connection);
        StatPublisher.connectionMade();
    }

    static void remove(AbstractConnection connection) {
        CONNECTIONS.remove(connection);
    }

    /** @return the registered connections now, in no particular order */
    public static List<Row> rows() {
        List<AbstractConnection> now;
        synchronized (CONNECTIONS) {
            now = new ArrayList<>(CONNECTIONS);
        }
        List<Row> rows = new ArrayList<>(now.size());
        for (AbstractConnection c : now) {
            rows.add(new Row(c.state(), c.counters(), c.statName()));
        }
        return rows;
    }
}
