package dev.conduit;

import dev.conduit.testing.MemPair;
import dev.conduit.testing.Waits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class AsyncReceiveTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> open = new ArrayList<>();

    private Connection[] pair() throws IOException {
        return MemPair.open("async", open);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static String text(byte[] message) {
        return new String(message, StandardCharsets.UTF_8);
    }

    @Test
    void futuresCompleteInTheOrderTheyWereAskedFor() throws Exception {
        Connection[] p = pair();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(p[1].receiveAsync());
        }
        for (int i = 0; i < 20; i++) {
            p[0].send("m" + i);
        }
        for (int i = 0; i < 20; i++) {
            assertEquals("m" + i, text(futures.get(i).get(10, TimeUnit.SECONDS)));
        }
    }

    @Test
    void aCancelledFutureHandsItsMessageToTheNext() throws Exception {
        Connection[] p = pair();
        CompletableFuture<byte[]> first = p[1].receiveAsync();
        first.cancel(false);
        CompletableFuture<byte[]> second = p[1].receiveAsync();
        p[0].send("only");
        assertEquals("only", text(second.get(10, TimeUnit.SECONDS)));
        assertNull(p[1].tryReceive());
    }

    @Test
    void theEndOfTheConnectionFailsAWaitingFuture() throws Exception {
        Connection[] p = pair();
        CompletableFuture<byte[]> future = p[1].receiveAsync();
        p[0].send("last");
        p[0].close();
        assertEquals("last", text(future.get(10, TimeUnit.SECONDS)));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> p[1].receiveAsync().get(10, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionClosedException.class, e.getCause());
    }

    /** Records what a publisher signals; requests only what the test asks for. */
    private static final class Recorder implements Flow.Subscriber<byte[]> {
        final List<String> received = new ArrayList<>();
        final CompletableFuture<Throwable> ended = new CompletableFuture<>();
        final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.complete(s);
        }

        @Override
        public void onNext(byte[] item) {
            synchronized (received) {
                received.add(text(item));
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

        int count() {
            synchronized (received) {
                return received.size();
            }
        }
    }

    @Test
    void aSubscriberGetsOnlyWhatItRequestsAndNothingIsReadAhead() throws Exception {
        Connection[] p = pair();
        Recorder recorder = new Recorder();
        p[1].asPublisher().subscribe(recorder);
        Flow.Subscription subscription = recorder.subscription.get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
            p[0].send("m" + i);
        }
        subscription.request(2);
        Waits.until("two messages", WAIT, () -> recorder.count() == 2);
        subscription.cancel();
        assertEquals(List.of("m0", "m1"), recorder.received);
        for (int i = 2; i < 5; i++) {
            assertEquals("m" + i, text(p[1].receive(WAIT)), "message " + i + " stayed in the connection");
        }
        assertEquals(2, recorder.count());
    }

    @Test
    void theStreamCompletesWhenThePeerCloses() throws Exception {
        Connection[] p = pair();
        Recorder recorder = new Recorder();
        p[1].asPublisher().subscribe(recorder);
        recorder.subscription.get(10, TimeUnit.SECONDS).request(Long.MAX_VALUE);
        for (int i = 0; i < 3; i++) {
            p[0].send("m" + i);
        }
        p[0].close();
        assertNull(recorder.ended.get(10, TimeUnit.SECONDS));
        assertEquals(List.of("m0", "m1", "m2"), recorder.received);
    }

    @Test
    void oneSubscriberAtATimeAndRequestsMustBePositive() throws Exception {
        Connection[] p = pair();
        Recorder first = new Recorder();
        p[1].asPublisher().subscribe(first);
        Flow.Subscription subscription = first.subscription.get(10, TimeUnit.SECONDS);
        Recorder second = new Recorder();
        p[1].asPublisher().subscribe(second);
        Throwable refused = second.ended.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalStateException.class, refused);
        assertTrue(refused.getMessage().endsWith("asPublisher: a subscriber is already subscribed"),
                refused.getMessage());
        subscription.request(0);
        Throwable bad = first.ended.get(10, TimeUnit.SECONDS);
        assertInstanceOf(IllegalArgumentException.class, bad);
        assertTrue(bad.getMessage().endsWith("request(0) (expected > 0, rule 3.9)"), bad.getMessage());
        Recorder[] third = new Recorder[1];
        Waits.until("the first stream to end", WAIT, () -> {
            Recorder candidate = new Recorder();
            p[1].asPublisher().subscribe(candidate);
            third[0] = candidate;
            return !candidate.ended.isDone();
        });
        p[0].send("again");
        third[0].subscription.get(10, TimeUnit.SECONDS).request(1);
        Waits.until("the message", WAIT, () -> third[0].count() == 1);
        assertEquals(List.of("again"), third[0].received);
    }
}
