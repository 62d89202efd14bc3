package dev.conduit.channel;

import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** axeberg's {@code rx.recv().await}: {@link Channel.Receiver#receiveAsync()} and its publisher. */
@Timeout(30)
class ChannelAsyncTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void futuresCompleteInTheOrderTheyWereAskedFor() throws Exception {
        Channel<Integer> channel = Channel.bounded(4);
        List<CompletableFuture<Integer>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(channel.receiver().receiveAsync());
        }
        assertFalse(futures.getFirst().isDone());
        for (int i = 0; i < 50; i++) {
            channel.sender().send(i); // A bounded channel: the pump must keep taking.
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(i, futures.get(i).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aCancelledFuturePassesItsValueOn() throws Exception {
        Channel<String> channel = Channel.unbounded();
        CompletableFuture<String> first = channel.receiver().receiveAsync();
        assertTrue(first.cancel(false));
        CompletableFuture<String> second = channel.receiver().receiveAsync();
        channel.sender().send("only");
        assertEquals("only", second.get(10, TimeUnit.SECONDS));
        assertEquals(new TryReceive.Empty<>(), channel.receiver().tryReceive());
    }

    @Test
    void aValueTakenForAFutureCancelledWhileItWaitedGoesToTheNext() throws Exception {
        Channel<String> channel = Channel.unbounded();
        CompletableFuture<String> first = channel.receiver().receiveAsync();
        // Whether the pump has begun its receive yet or not, the value must reach the next future.
        first.cancel(false);
        channel.sender().send("kept");
        CompletableFuture<String> second = channel.receiver().receiveAsync();
        assertEquals("kept", second.get(10, TimeUnit.SECONDS));
    }

    @Test
    void theLastSenderClosingCompletesTheRestExceptionally() throws Exception {
        Channel<String> channel = Channel.unbounded();
        CompletableFuture<String> waiting = channel.receiver().receiveAsync();
        channel.sender().send("last");
        channel.sender().close();
        assertEquals("last", waiting.get(10, TimeUnit.SECONDS));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> channel.receiver().receiveAsync().get(10, TimeUnit.SECONDS));
        assertInstanceOf(ChannelClosedException.class, e.getCause());
        assertTrue(e.getCause().getMessage().endsWith("receive: every sender has closed"), e.getCause().getMessage());
    }

    @Test
    void closingTheReceiverFailsAWaitingFuture() throws Exception {
        Channel<String> channel = Channel.unbounded();
        CompletableFuture<String> waiting = channel.receiver().receiveAsync();
        channel.receiver().close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().endsWith("receive: the receiver is closed"), e.getCause().getMessage());
    }

    @Test
    void aSubscriberGetsWhatItRequestsThenTheCloseAsOnComplete() throws Exception {
        Channel<Integer> channel = Channel.unbounded();
        List<Integer> received = new ArrayList<>();
        CompletableFuture<Flow.Subscription> subscribed = new CompletableFuture<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        channel.receiver().asPublisher().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscribed.complete(s);
            }

            @Override
            public void onNext(Integer item) {
                synchronized (received) {
                    received.add(item);
                }
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onComplete() {
                ended.complete(null);
            }
        });
        for (int i = 0; i < 5; i++) {
            channel.sender().send(i);
        }
        subscribed.get(10, TimeUnit.SECONDS).request(2);
        Waits.until("two values", WAIT, () -> {
            synchronized (received) {
                return received.size() == 2;
            }
        });
        assertEquals(new TryReceive.Received<>(2), channel.receiver().tryReceive(), "nothing read ahead");
        subscribed.get().request(Long.MAX_VALUE);
        channel.sender().close();
        assertNull(ended.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(0, 1, 3, 4), received);
    }
}
