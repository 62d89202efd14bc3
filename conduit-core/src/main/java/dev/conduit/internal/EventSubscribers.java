package dev.conduit.internal;

import dev.conduit.ConnectionEvent;
import dev.conduit.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The subscribers to one connection's or listener's {@link ConnectionEvent}s. Copy on write:
 * an event with no subscriber costs one volatile read, and nothing is made for it.
 */
public final class EventSubscribers {
    private volatile List<Consumer<? super ConnectionEvent>> subscribers = List.of();

    /** @return whether anyone listens, so the caller need not make the event */
    public boolean any() {
        return !subscribers.isEmpty();
    }

    /**
     * Adds a subscriber. Any thread.
     *
     * @return what ends the subscription
     */
    public Subscription add(Consumer<? super ConnectionEvent> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        synchronized (this) {
            List<Consumer<? super ConnectionEvent>> now = new ArrayList<>(subscribers);
            now.add(subscriber);
            subscribers = List.copyOf(now);
        }
        return () -> remove(subscriber);
    }

    private synchronized void remove(Consumer<? super ConnectionEvent> subscriber) {
        List<Consumer<? super ConnectionEvent>> now = new ArrayList<>(subscribers);
        for (int i = 0; i < now.size(); i++) {
            if (now.get(i) == subscriber) {
                now.remove(i);
                subscribers = List.copyOf(now);
                return;
            }
        }
    }

    /**
     * Hands {@code event} to every subscriber, on this thread. One that throws does not stop the
     * others or the caller: what it threw goes to this thread's uncaught-exception handler.
     */
    public void fire(ConnectionEvent event) {
        for (Consumer<? super ConnectionEvent> s : subscribers) {
            try {
                s.accept(event);
            } catch (RuntimeException e) {
                Thread t = Thread.currentThread();
                t.getUncaughtExceptionHandler().uncaughtException(t, e);
            }
        }
    }
}
