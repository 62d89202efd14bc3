package dev.conduit.internal;

import dev.conduit.internal.posix.Membarrier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reentrant lock for one side of a connection that costs no atomic instruction while a single
 * thread uses it, which is how most connections are used: one thread sends, one receives. On a
 * shared-memory ring an atomic instruction is not cheap: it waits for the stores before it to
 * reach the other process's core, and two per message halved the rate one thread could send.
 *
 * <p>The first thread to take the lock becomes its owner, and takes and gives it back with
 * plain stores and loads. The first time another thread wants it, that thread revokes the
 * bias: it raises a flag, makes every thread of the process pass a memory barrier
 * ({@link Membarrier#privateBarrier()}), waits for the owner to give back a hold it may have, and from
 * then on every thread, the owner too, uses an ordinary {@link ReentrantLock}. Revoking
 * happens once in a lock's life and costs some microseconds.
 *
 * <p>The handshake is a store-load one (Dekker): the owner stores {@code BUSY} then loads
 * {@code REVOKED}, the revoker stores {@code REVOKED} then loads {@code BUSY}, and at least one
 * must see the other's store. The owner's side needs no fence, because the revoker's
 * {@code membarrier} runs one on the owner's CPU in between; it needs its two accesses kept in
 * program order by the compiler, which HotSpot does for ordered (opaque, acquire, release)
 * accesses to memory segments. Where the kernel has no {@code membarrier}, the lock is an
 * ordinary {@link ReentrantLock} from the start.
 */
public final class BiasedLock {
    private static final boolean BIASABLE = Membarrier.registerPrivate();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle OWNER;
    /** u32, 1 while the owner holds the lock on its fast path. Written by the owner only. */
    private static final long BUSY = 0;
    /** u32, 1 once the bias is revoked, for good. On a cache line of its own. */
    private static final long REVOKED = 64;
    private static final long FLAG_BYTES = 128;
    private static final long WAIT_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(BiasedLock.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final MemorySegment flags = Arena.ofAuto().allocate(FLAG_BYTES, 64);
    /** The thread the lock is biased to: set once, never cleared. */
    private volatile Thread owner;
    /** Holds the owner has taken on the fast path. Read and written by the owner only. */
    private int holds;

    /**
     * Takes the lock, waiting as long as it takes. The lock is reentrant.
     */
    public void lock() {
        if (!lockBiased()) {
            revoke(Long.MAX_VALUE);
            lock.lock();
        }
    }

    /**
     * Takes the lock only if it is free now; never waits (revoking the bias makes one system
     * call, and fails rather than wait for the owner).
     *
     * @return whether the lock is now held
     */
    public boolean tryLock() {
        return lockBiased() || revoke(0) && lock.tryLock();
    }

    /**
     * Takes the lock, waiting at most {@code nanos}. An interrupt ends the wait, and the thread
     * stays interrupted.
     *
     * @return whether the lock is now held
     */
    public boolean tryLock(long nanos) {
        if (lockBiased()) {
            return true;
        }
        long deadline = System.nanoTime() + nanos;
        try {
            return revoke(nanos) && lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Gives back one hold.
     *
     * @throws IllegalMonitorStateException if this thread holds no lock
     */
    public void unlock() {
        if (owner == Thread.currentThread() && holds > 0) {
            if (--holds == 0) {
                INT.setRelease(flags, BUSY, 0);
            }
            return;
        }
        lock.unlock();
    }

    /** @return whether the calling thread holds the lock */
    public boolean isHeldByCurrentThread() {
        return owner == Thread.currentThread() && holds > 0 || lock.isHeldByCurrentThread();
    }

    /** @return whether the lock is taken on the fast path: the caller owns it and the bias stands */
    private boolean lockBiased() {
        if (!BIASABLE) {
            return false;
        }
        Thread me = Thread.currentThread();
        Thread current = owner;
        if (current == null && OWNER.compareAndSet(this, null, me)) {
            current = me;
        }
        if (current != me) {
            return false;
        }
        if (holds > 0) {
            holds++;
            return true;
        }
        INT.setOpaque(flags, BUSY, 1);
        if ((int) INT.getAcquire(flags, REVOKED) == 0) {
            holds = 1;
            return true;
        }
        INT.setRelease(flags, BUSY, 0);
        return false;
    }

    /**
     * Ends the bias, if it is not ended yet, and waits at most {@code nanos} until the owner
     * holds no fast-path hold, after which the {@link ReentrantLock} alone decides.
     *
     * @param nanos the most to wait: 0 not at all, {@link Long#MAX_VALUE} as long as it takes,
     *              heedless of interrupts (as {@link ReentrantLock#lock()})
     * @return whether the owner holds none now
     */
    private boolean revoke(long nanos) {
        if (!BIASABLE) {
            return true;
        }
        if ((int) INT.getAcquire(flags, REVOKED) == 0) {
            INT.setVolatile(flags, REVOKED, 1);
            Membarrier.privateBarrier();
        }
        if (owner == Thread.currentThread()) {
            return true; // The owner itself, after the revocation: it holds no fast-path hold now.
        }
        long deadline = System.nanoTime() + nanos;
        long park = 1_000;
        int spins = 0;
        while ((int) INT.getAcquire(flags, BUSY) != 0) {
            if (nanos != Long.MAX_VALUE
                    && (deadline - System.nanoTime() <= 0 || Thread.currentThread().isInterrupted())) {
                return false;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(park);
                park = Math.min(2 * park, WAIT_MAX_NANOS);
            }
        }
        return true;
    }
}
