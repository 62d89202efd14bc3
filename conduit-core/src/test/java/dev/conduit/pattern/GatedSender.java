package dev.conduit.pattern;

import dev.conduit.MessageSender;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Semaphore;

/** A test's slow member: a real sender whose {@code send} first waits for the test to open the gate. */
final class GatedSender implements MessageSender {
    private final MessageSender sender;
    private final Semaphore gate = new Semaphore(0);
    private final java.util.concurrent.atomic.AtomicBoolean opened = new java.util.concurrent.atomic.AtomicBoolean();

    GatedSender(MessageSender sender) {
        this.sender = sender;
    }

    /** Lets every send through from now on. */
    void open() {
        if (opened.compareAndSet(false, true)) {
            gate.release(Integer.MAX_VALUE / 2);
        }
    }

    /** @return whether the member's thread waits at the gate */
    boolean isWaiting() {
        return gate.hasQueuedThreads();
    }

    @Override
    public void send(MemorySegment message) throws IOException {
        try {
            gate.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("gated send interrupted");
        }
        gate.release();
        sender.send(message);
    }

    @Override
    public boolean trySend(MemorySegment message) throws IOException {
        return gate.availablePermits() > 0 && sender.trySend(message);
    }

    @Override
    public void write(MemorySegment message) throws IOException {
        send(message);
    }

    @Override
    public void flush() throws IOException {
        sender.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            sender.close();
        } finally {
            open(); // after the close, so a send waiting here goes on and finds the sender closed
        }
    }

    @Override
    public String toString() {
        return "gated " + sender;
    }
}
