package dev.conduit.internal;

import dev.conduit.testing.Waits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class BiasedLockTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private int counter;

    @Test
    void threadsNeverHoldItTogetherAndSeeEachOthersWrites() throws Exception {
        BiasedLock lock = new BiasedLock();
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean overlap = new AtomicBoolean();
        int rounds = 20_000;
        Runnable add = () -> {
            for (int i = 0; i < rounds; i++) {
                lock.lock();
                try {
                    if (inside.incrementAndGet() != 1) {
                        overlap.set(true);
                    }
                    counter++;
                    inside.decrementAndGet();
                } finally {
                    lock.unlock();
                }
            }
        };
        lock.lock(); // This thread owns it now; the others revoke the bias while it holds it.
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofPlatform().start(add));
            threads.add(Thread.ofVirtual().start(add));
        }
        counter++;
        lock.unlock();
        add.run();
        for (Thread thread : threads) {
            thread.join();
        }
        assertFalse(overlap.get(), "two threads held the lock at once");
        assertEquals(1 + 9 * rounds, counter);
    }

    @Test
    void isReentrantBeforeAndAfterTheBiasEnds() throws Exception {
        BiasedLock lock = new BiasedLock();
        lock.lock();
        lock.lock();
        assertTrue(lock.isHeldByCurrentThread());
        lock.unlock();
        assertTrue(lock.isHeldByCurrentThread());
        lock.unlock();
        assertFalse(lock.isHeldByCurrentThread());

        CompletableFuture.runAsync(() -> {
            lock.lock();
            lock.unlock();
        }).get(10, TimeUnit.SECONDS);

        lock.lock();
        lock.lock();
        lock.unlock();
        assertTrue(lock.isHeldByCurrentThread());
        lock.unlock();
        assertFalse(lock.isHeldByCurrentThread());
    }

    @Test
    void othersCannotTakeItWhileTheOwnerHoldsIt() throws Exception {
        BiasedLock lock = new BiasedLock();
        lock.lock();
        assertFalse(CompletableFuture.supplyAsync(lock::tryLock).get(10, TimeUnit.SECONDS));
        assertFalse(CompletableFuture.supplyAsync(() -> lock.tryLock(TimeUnit.MILLISECONDS.toNanos(20)))
                .get(10, TimeUnit.SECONDS));
        lock.unlock();
        assertTrue(CompletableFuture.supplyAsync(() -> {
            boolean taken = lock.tryLock();
            if (taken) {
                lock.unlock();
            }
            return taken;
        }).get(10, TimeUnit.SECONDS));
    }

    @Test
    void aWaiterGetsItWhenTheOwnerLetsGo() throws Exception {
        BiasedLock lock = new BiasedLock();
        lock.lock();
        AtomicBoolean got = new AtomicBoolean();
        Thread waiter = Thread.ofPlatform().start(() -> {
            lock.lock();
            got.set(true);
            lock.unlock();
        });
        Waits.until("the waiter to wait", WAIT, () -> waiter.getState() == Thread.State.TIMED_WAITING
                || waiter.getState() == Thread.State.WAITING);
        assertFalse(got.get());
        lock.unlock();
        waiter.join();
        assertTrue(got.get());
    }

    @Test
    void anInterruptEndsATimedWaitAndIsKept() throws Exception {
        BiasedLock lock = new BiasedLock();
        lock.lock();
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            boolean taken = lock.tryLock(TimeUnit.SECONDS.toNanos(30));
            interrupted.complete(!taken && Thread.currentThread().isInterrupted());
        });
        Waits.until("the waiter to wait", WAIT, () -> waiter.getState() == Thread.State.TIMED_WAITING);
        waiter.interrupt();
        assertTrue(interrupted.get(10, TimeUnit.SECONDS));
        lock.unlock();
    }

    @Test
    void unlockingWhatIsNotHeldFails() throws Exception {
        BiasedLock lock = new BiasedLock();
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
        lock.lock();
        lock.unlock();
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
        CompletableFuture.runAsync(() -> assertThrows(IllegalMonitorStateException.class, lock::unlock))
                .get(10, TimeUnit.SECONDS);
    }
}
