package dev.conduit.channel;

import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ChannelTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A value that says who sent it and in what order. */
    private record Stamp(int sender, int seq) {
    }

    @Test
    void manyConcurrentSendersKeepEachOnesOrderAndTheLastCloseEndsTheStream() throws Exception {
        Channel<Stamp> channel = Channel.bounded(16);
        int senders = 16;
        int perSender = 5_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        Channel.Sender<Stamp> first = channel.sender();
        for (int s = 0; s < senders; s++) {
            int id = s;
            Channel.Sender<Stamp> sender = first.duplicate();
            Runnable sending = () -> {
                try (sender) {
                    for (int i = 0; i < perSender; i++) {
                        sender.send(new Stamp(id, i));
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            };
            threads.add(id % 2 == 0 ? Thread.ofVirtual().start(sending) : Thread.ofPlatform().start(sending));
        }
        first.close();
        int[] next = new int[senders];
        int received = 0;
        Channel.Receiver<Stamp> receiver = channel.receiver();
        ChannelClosedException end = assertThrows(ChannelClosedException.class, () -> {
            while (true) {
                Stamp stamp = receiver.receive();
                assertEquals(next[stamp.sender()]++, stamp.seq(), "order of sender " + stamp.sender());
            }
        });
        for (int n : next) {
            received += n;
        }
        assertEquals(senders * perSender, received);
        assertTrue(end.getMessage().endsWith("receive: every sender has closed"), end.getMessage());
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get());
    }

    @Test
    void aFullBoundedChannelMakesSendWaitAndTrySendHandTheValueBack() throws Exception {
        Channel<String> channel = Channel.bounded(2);
        Channel.Sender<String> sender = channel.sender();
        sender.send("a");
        assertInstanceOf(TrySend.Sent.class, sender.trySend("b"));
        assertEquals(new TrySend.Full<>("c"), sender.trySend("c"));
        assertFalse(sender.send("c", Duration.ofMillis(20)));
        Thread waiting = Thread.ofPlatform().start(() -> {
            try {
                sender.send("c");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Waits.until("the send to wait", WAIT, () -> waiting.getState() == Thread.State.WAITING);
        assertEquals("a", channel.receiver().receive());
        waiting.join();
        assertEquals("b", channel.receiver().receive());
        assertEquals("c", channel.receiver().receive());
        assertEquals(new TryReceive.Empty<>(), channel.receiver().tryReceive());
    }

    @Test
    void theChannelStaysOpenUntilItsLastSenderCloses() throws Exception {
        Channel<Integer> channel = Channel.unbounded();
        Channel.Sender<Integer> first = channel.sender();
        Channel.Sender<Integer> second = first.duplicate();
        first.send(1);
        first.close();
        first.close();
        assertEquals(new TrySend.Closed<>(7), first.trySend(7));
        ChannelClosedException e = assertThrows(ChannelClosedException.class, () -> first.send(7));
        assertEquals("Channel[unbounded, 1 queued, 1 sender]: send: this sender is closed", e.getMessage());
        assertThrows(ChannelClosedException.class, first::duplicate);
        second.send(2);
        assertEquals(new TryReceive.Received<>(1), channel.receiver().tryReceive());
        assertEquals(new TryReceive.Received<>(2), channel.receiver().tryReceive());
        assertEquals(new TryReceive.Empty<>(), channel.receiver().tryReceive());
        assertNull(channel.receiver().receive(Duration.ofMillis(20)));
        second.send(3);
        second.close();
        assertEquals(3, channel.receiver().receive());
        assertEquals(new TryReceive.Closed<>(), channel.receiver().tryReceive());
        assertThrows(ChannelClosedException.class, () -> channel.receiver().receive(WAIT));
    }

    @Test
    void closingTheReceiverFailsEverySendIncludingWaitingOnes() throws Exception {
        Channel<String> channel = Channel.bounded(1);
        Channel.Sender<String> sender = channel.sender();
        sender.send("queued");
        CompletableFuture<Throwable> blocked = new CompletableFuture<>();
        Thread waiting = Thread.ofVirtual().start(() -> {
            try {
                sender.send("waiting");
                blocked.complete(null);
            } catch (Throwable t) {
                blocked.complete(t);
            }
        });
        Waits.until("the send to wait", WAIT, () -> waiting.getState() == Thread.State.WAITING);
        channel.receiver().close();
        Throwable t = blocked.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ChannelClosedException.class, t);
        assertTrue(t.getMessage().endsWith("send: the receiver has closed"), t.getMessage());
        assertEquals(new TrySend.Closed<>("late"), sender.trySend("late"));
        assertEquals(new TryReceive.Closed<>(), channel.receiver().tryReceive());
        ChannelClosedException e = assertThrows(ChannelClosedException.class, channel.receiver()::receive);
        assertEquals("Channel[bounded 1, 0 queued, 1 sender, receiver closed]: receive: the receiver is closed",
                e.getMessage());
        channel.receiver().close();
    }

    @Test
    void anInterruptEndsAWaitingReceive() throws Exception {
        Channel<String> channel = Channel.unbounded();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread waiting = Thread.ofPlatform().start(() -> {
            try {
                channel.receiver().receive();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        Waits.until("the receive to wait", WAIT, () -> waiting.getState() == Thread.State.WAITING);
        waiting.interrupt();
        assertInstanceOf(InterruptedException.class, outcome.get(10, TimeUnit.SECONDS));
        channel.sender().send("still works");
        assertEquals("still works", channel.receiver().receive());
    }

    @Test
    void refusesNullsAndImpossibleCapacities() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Channel.bounded(0));
        assertEquals("capacity: 0 (expected >= 1)", e.getMessage());
        Channel<String> channel = Channel.unbounded();
        assertThrows(NullPointerException.class, () -> channel.sender().send(null));
        assertThrows(NullPointerException.class, () -> channel.sender().trySend(null));
        assertFalse(channel.toString().contains("closed"));
        assertEquals("Channel[bounded 3, 0 queued, 1 sender]", Channel.bounded(3).toString());
    }
}
