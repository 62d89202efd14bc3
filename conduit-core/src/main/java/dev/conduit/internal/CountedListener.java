package dev.conduit.internal;

import dev.conduit.ConnectionEvent;
import dev.conduit.Listener;
import dev.conduit.ListenerCounters;
import dev.conduit.Subscription;

import java.util.function.Consumer;

/** A listener whose counters and events a {@link ListenerStats} keeps: Conduit's own listeners. */
public interface CountedListener extends Listener {
    /** @return the listener's counters and event subscribers */
    ListenerStats stats();

    @Override
    default ListenerCounters counters() {
        return stats().read();
    }

    @Override
    default Subscription onEvent(Consumer<? super ConnectionEvent> subscriber) {
        return stats().subscribe(subscriber);
    }
}
