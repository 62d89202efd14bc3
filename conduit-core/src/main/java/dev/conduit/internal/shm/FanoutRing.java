package dev.conduit.internal.shm;

import dev.conduit.internal.posix.Futex;
import dev.conduit.internal.posix.Membarrier;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The one ring of a fan-out ({@code shmfan:}), seen by the publisher or by one subscriber: the
 * records and the producer's half are {@link Ring}'s, but instead of one head there is a table
 * of subscriber slots, each with its own consumer position, and the producer's room is what the
 * slowest active subscriber has given back. Layout in {@code docs/shm-ring.md} ("Fan-out"):
 *
 * <pre>
 *  512  the ring's control block (the tail; consumer_sleeping counts sleeping subscribers)
 * 1024  u32 wakeups: the futex word the publisher sleeps on, bumped by whoever frees room
 * 2048  slot k at 2048 + 128 k: u64 position, u32 state (0 free, 1 active, 2 leaving), u32 pid,
 *       u64 sleep: 0 awake, 1 about to sleep, v &lt;&lt; 32 | 2 asleep on tail word v; counted in
 *       consumer_sleeping while not 0
 * </pre>
 *
 * <p>The publisher, finding the count non-zero after it publishes, wakes every sleeper and
 * takes off the count those asleep on an older tail word than the one it just published (their
 * wait ends, woken or refused), so the publishes after it make no system call while the woken
 * wait for a CPU. One asleep on the current word, or about to sleep, it leaves counted: the
 * next publish is the one that must wake it.
 *
 * Only the publisher's process makes a slot active (at the published tail: the publisher's room
 * was computed from a head no later than that, so no record from there on can be overwritten
 * before it reads the slots again) or free; a subscriber moves its own position and says it is
 * leaving.
 */
final class FanoutRing extends Ring {
    static final long WAKEUPS = 1024;
    static final long SLOT_TABLE = 2048;
    static final long SLOT_BYTES = 128;
    static final long POSITION = 0;
    static final long STATE = 8;
    static final long PID = 12;
    static final long SLEEP = 16;
    private static final long ABOUT_TO_SLEEP = 1;
    private static final long ASLEEP = 2;
    static final int FREE = 0;
    static final int ACTIVE = 1;
    static final int LEAVING = 2;

    private final MemorySegment mapping;
    private final MemorySegment wakeWord;
    private final int slots;
    /** This subscriber's slot's offset in the mapping, or -1 for the publisher's view. */
    private final long slotAt;
    /** Whether this process keeps the membarrier handshake: then its sleepers run the barrier. */
    private final boolean barrierWhenSleeping = Membarrier.registerGlobal();
    /** Publisher: the wakeups word read before it last looked at the positions. */
    private int wakeToken;

    /**
     * @param file a fan-out's mapped object
     * @param slot the subscriber slot this view is for, or -1 for the publisher's view
     */
    FanoutRing(RingFile file, int slot) {
        super(file.mapping.asSlice(RingFile.RING0_CONTROL, CONTROL_BYTES), file.fanoutData());
        this.mapping = file.mapping;
        this.wakeWord = mapping.asSlice(WAKEUPS, 4);
        this.slots = file.slots;
        this.slotAt = slot < 0 ? -1 : slotOffset(slot);
        useMembarrier(slot < 0 ? file.flag(RingFile.FLAG_MEMBARRIER)
                : file.flag(RingFile.FLAG_PUBLISHER_BARRIER) && barrierWhenSleeping);
    }

    private static long slotOffset(int slot) {
        return SLOT_TABLE + slot * SLOT_BYTES;
    }

    // ---- the publisher's slot table ----------------------------------------------------------

    /** Publisher's process: slot {@code slot} starts reading at {@code tail}, the published tail. */
    void activate(int slot, long tail, int pid) {
        long at = slotOffset(slot);
        LONG.setRelease(mapping, at + POSITION, tail);
        INT.setRelease(mapping, at + PID, pid);
        INT.setVolatile(mapping, at + STATE, ACTIVE);
    }

    /** Publisher: slot {@code slot} holds nobody back any more; wakes the publisher if it waits on it. */
    void free(int slot) {
        long at = slotOffset(slot);
        INT.setVolatile(mapping, at + STATE, FREE);
        // A subscriber killed in its sleep would leave the count up, and every publish would
        // then make a useless FUTEX_WAKE: whoever clears its slot's sleep takes it off the count.
        uncount(at);
        wakeProducer();
    }

    /** Takes the sleeper of the slot at {@code at} off the count, if no one else has. */
    private void uncount(long at) {
        long sleep = (long) LONG.getVolatile(mapping, at + SLEEP);
        if (sleep != 0 && LONG.compareAndSet(mapping, at + SLEEP, sleep, 0L)) {
            INT.getAndAdd(control, CONSUMER_SLEEPING, -1);
        }
    }

    /** @return the state of slot {@code slot}, for tests and diagnostics */
    int state(int slot) {
        return (int) INT.getAcquire(mapping, slotOffset(slot) + STATE);
    }

    // ---- the head, as the producer sees it and as one subscriber moves it --------------------

    /**
     * Publisher: the slowest active subscriber's position, or the published tail if none is
     * slower (or none is active: then nothing holds the publisher back). Subscriber: its own.
     */
    @Override
    long headAcquire() {
        if (slotAt >= 0) {
            return (long) LONG.getAcquire(mapping, slotAt + POSITION);
        }
        long min = tailAcquire();
        for (int k = 0; k < slots; k++) {
            long at = slotOffset(k);
            if ((int) INT.getAcquire(mapping, at + STATE) == ACTIVE) {
                min = Math.min(min, (long) LONG.getAcquire(mapping, at + POSITION));
            }
        }
        return min;
    }

    @Override
    boolean publishHead(long head) {
        LONG.setRelease(mapping, slotAt + POSITION, head);
        if (!membarrier) {
            VarHandle.fullFence();
        }
        return flagAcquire(PRODUCER_SLEEPING) != 0;
    }

    /** Bumps the word the publisher sleeps on, then wakes it: any subscriber may have made the room. */
    @Override
    void wakeProducer() {
        INT.getAndAdd(mapping, WAKEUPS, 1);
        Futex.wake(wakeWord, 1);
    }

    @Override
    long producerSleeps() {
        INT.setVolatile(control, PRODUCER_SLEEPING, 1);
        if (barrierWhenSleeping) {
            Membarrier.globalBarrier();
        }
        // Read before the positions: a subscriber that moves after this bumps the word, so the
        // futex wait on this value cannot miss it.
        wakeToken = (int) INT.getVolatile(mapping, WAKEUPS);
        return headAcquire();
    }

    @Override
    MemorySegment producerWord() {
        return wakeWord;
    }

    @Override
    int producerWordValue(long head) {
        return wakeToken;
    }

    // ---- subscribers sleeping on the tail ----------------------------------------------------

    /** Several subscribers may sleep at once: the flag is their count. */
    @Override
    long consumerSleeps() {
        // Counted first, flagged second: a free() in between finds no flag and leaves the count
        // to consumerAwake(); after the flag, exactly one of the two takes it off.
        INT.getAndAdd(control, CONSUMER_SLEEPING, 1);
        LONG.setVolatile(mapping, slotAt + SLEEP, ABOUT_TO_SLEEP);
        if (barrierWhenSleeping) {
            Membarrier.globalBarrier();
        }
        long tail = (long) LONG.getVolatile(control, TAIL);
        // Says which word it sleeps on: the publisher may take it off the count only once the
        // word has moved on, when its wait cannot go on.
        LONG.compareAndSet(mapping, slotAt + SLEEP, ABOUT_TO_SLEEP, (tail & 0xFFFF_FFFFL) << 32 | ASLEEP);
        return tail;
    }

    @Override
    void consumerAwake() {
        uncount(slotAt);
    }

    @Override
    void wakeConsumer() {
        int word = (int) (long) LONG.getVolatile(control, TAIL);
        for (int k = 0; k < slots; k++) {
            long at = slotOffset(k) + SLEEP;
            long sleep = (long) LONG.getVolatile(mapping, at);
            if ((sleep & 3) == ASLEEP && (int) (sleep >>> 32) != word
                    && LONG.compareAndSet(mapping, at, sleep, 0L)) {
                INT.getAndAdd(control, CONSUMER_SLEEPING, -1);
            }
        }
        Futex.wake(tailWord, Integer.MAX_VALUE);
    }

    /** A subscriber leaving stops holding the publisher back at once, before its socket closes. */
    @Override
    void consumerCloses() {
        INT.setVolatile(mapping, slotAt + STATE, LEAVING);
        wakeProducer();
    }
}
