package dev.conduit.internal.shm;

import dev.conduit.internal.posix.Futex;
import dev.conduit.internal.posix.Membarrier;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One single-producer single-consumer ring of variable-length records in shared memory: a
 * control block and a data area, laid out as {@code docs/shm-ring.md} describes. This class
 * holds what both ends share (the layout and atomic access to the control words); each end
 * ({@link ShmConnection}) keeps its own position.
 *
 * <p>Positions are byte counts since the ring was made, never wrapped: the index of a position
 * in the data area is {@code position & (capacity - 1)}, and {@code tail - head} is the number of
 * bytes in use. Records start at multiples of {@value #ALIGN}; a record's u64 header, stored
 * last, says it is there, so a consumer that keeps up reads only the line the next record goes
 * into, never the tail's line (which moved between the cores on every message when the tail
 * said so, as in version 1).
 *
 * <p>A fan-out ({@link FanoutRing}) shares the producer's half and the records, and keeps one
 * consumer position per subscriber instead of the head: it overrides what touches the head and
 * the sleeping flags.
 */
sealed class Ring permits FanoutRing {
    /**
     * Control block: four 128-byte lines (two cache lines each, against adjacent-line prefetch).
     * Each position has a line of its own, written on every message by its one writer; the flags
     * are on lines of their own, written rarely, so the checks each side makes on every message
     * hit in its cache instead of pulling the other side's busy line over.
     */
    static final long CONTROL_BYTES = 512;
    /** u64: the producer's position, published with release semantics. Its low half is a futex word. */
    static final long TAIL = 0;
    /** u64: the consumer's position, published with release semantics. Its low half is a futex word. */
    static final long HEAD = 128;
    /** u32: 1 while the producer sleeps (or is about to) on a full ring, on the head word. */
    static final long PRODUCER_SLEEPING = 256;
    /** u32: 1 once the producer has closed its end. */
    static final long PRODUCER_CLOSED = 260;
    /** u32: 1 while the consumer sleeps (or is about to) on an empty ring, on the tail word. */
    static final long CONSUMER_SLEEPING = 384;
    /** u32: 1 once the consumer has closed its end. */
    static final long CONSUMER_CLOSED = 388;

    /** Record header: u32 length of the data that follows, u32 kind. */
    static final int RECORD_HEADER = 8;
    static final int ALIGN = 8;
    /** A whole message. */
    static final int MESSAGE = 1;
    /** Filler up to the end of the data area; the next record starts at index 0. */
    static final int PADDING = 2;
    /** The first piece of a message too long for one record; its data starts with the u64 total length. */
    static final int FIRST = 3;
    /** A piece between the first and the last. */
    static final int MIDDLE = 4;
    /** The last piece. */
    static final int LAST = 5;
    /** Bytes in front of the data of a {@link #FIRST} piece: the whole message's length. */
    static final int TOTAL_BYTES = 8;

    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /**
     * No ring: the side of a one-way connection that it does not have (a fan-out publisher's
     * inbound, a subscriber's outbound). Private zeroed memory, never a message in it.
     */
    static final Ring NONE = new Ring(Arena.global().allocate(CONTROL_BYTES, 128),
            Arena.global().allocate(RingFile.MIN_CAPACITY, ALIGN));

    final MemorySegment control;
    final MemorySegment data;
    final long capacity;
    final long mask;
    /** The largest record, header included: half the ring, so one always fits once the ring drains. */
    final long maxRecord;
    final MemorySegment tailWord;
    final MemorySegment headWord;
    /**
     * Whether both ends keep the membarrier handshake ({@link RingFile#FLAG_MEMBARRIER}): then a
     * publisher needs no fence. Set once, before the connection is handed out.
     */
    boolean membarrier;

    /**
     * @param control the ring's {@value #CONTROL_BYTES}-byte control block, 128-byte aligned
     * @param data    the data area; its size is a power of two
     */
    Ring(MemorySegment control, MemorySegment data) {
        this.control = control;
        this.data = data;
        this.capacity = data.byteSize();
        this.mask = capacity - 1;
        this.maxRecord = capacity / 2;
        // Little-endian: the low half of each u64 position is its first four bytes.
        this.tailWord = control.asSlice(TAIL, 4);
        this.headWord = control.asSlice(HEAD, 4);
    }

    /** @return {@code n} rounded up to a multiple of {@value #ALIGN} */
    static long align(long n) {
        return (n + ALIGN - 1) & -ALIGN;
    }

    /**
     * Consumer: the header word of the record at {@code index} (acquire: once non-zero, the
     * record's bytes are visible), or 0 if the producer has not committed one there yet.
     */
    long headerAcquire(long index) {
        return (long) LONG.getAcquire(data, index);
    }

    /** @return a record header as one u64: the length in the low half, the kind in the high half */
    static long header(int length, int kind) {
        return (long) kind << 32 | (length & 0xFFFF_FFFFL);
    }

    /**
     * Producer: commits a record whose data is written, first zeroing the header word of the
     * next record at {@code next}, so that the consumer, reading there, finds 0 until that record
     * is committed. A release store: the record's bytes and the zero are visible first.
     */
    void commit(long index, long header, long next) {
        data.set(ValueLayout.JAVA_LONG, next & mask, 0L);
        LONG.setRelease(data, index, header);
    }

    long tailAcquire() {
        return (long) LONG.getAcquire(control, TAIL);
    }

    long headAcquire() {
        return (long) LONG.getAcquire(control, HEAD);
    }

    int flagAcquire(long offset) {
        return (int) INT.getAcquire(control, offset);
    }

    void setFlagVolatile(long offset, int value) {
        INT.setVolatile(control, offset, value);
    }

    void useMembarrier(boolean use) {
        membarrier = use;
    }

    // The sleep/wake handshake, one half per side. Each side stores, then loads what the other
    // side stores (Dekker), with a full barrier between: at least one of them sees the other's
    // store, so either the sleeper sees the new position and does not sleep, or the publisher
    // sees the flag and wakes. The publisher's barrier is a fence, on every message, unless the
    // membarrier handshake is on: then the sleeper, about to sleep, makes every running thread
    // of both processes pass one (MEMBARRIER_CMD_GLOBAL_EXPEDITED), and the publisher needs only
    // its two accesses kept in program order, which HotSpot does for ordered accesses to memory
    // segments. A fence costs a publisher on a busy stream more than the copy of a small message:
    // it waits for the stores of that message to reach the consumer's core.

    /**
     * Producer: publishes {@code tail} (release: after the headers of the records before it), for
     * a consumer that sleeps, or is about to.
     *
     * @return whether the consumer has said it sleeps, so {@link #wakeConsumer()} is due
     */
    boolean publishTail(long tail) {
        LONG.setRelease(control, TAIL, tail);
        if (!membarrier) {
            VarHandle.fullFence();
        }
        return (int) INT.getAcquire(control, CONSUMER_SLEEPING) != 0;
    }

    /**
     * Consumer: publishes {@code head}, giving the bytes before it back.
     *
     * @return whether the producer has said it sleeps, so {@link #wakeProducer()} is due
     */
    boolean publishHead(long head) {
        LONG.setRelease(control, HEAD, head);
        if (!membarrier) {
            VarHandle.fullFence();
        }
        return (int) INT.getAcquire(control, PRODUCER_SLEEPING) != 0;
    }

    /**
     * Consumer, before it sleeps: says so, then reads the tail. It may sleep on {@link #tailWord}
     * with that value only if the header at its head is still 0 when read after this, and must
     * call {@link #consumerAwake()} afterwards either way.
     *
     * @return the tail now: the value to sleep on
     */
    long consumerSleeps() {
        INT.setVolatile(control, CONSUMER_SLEEPING, 1);
        if (membarrier) {
            Membarrier.globalBarrier();
        }
        return (long) LONG.getVolatile(control, TAIL);
    }

    void consumerAwake() {
        INT.setVolatile(control, CONSUMER_SLEEPING, 0);
    }

    /** Producer, before it sleeps on a full ring: says so, then reads the head. */
    long producerSleeps() {
        INT.setVolatile(control, PRODUCER_SLEEPING, 1);
        if (membarrier) {
            Membarrier.globalBarrier();
        }
        return (long) LONG.getVolatile(control, HEAD);
    }

    void producerAwake() {
        INT.setVolatile(control, PRODUCER_SLEEPING, 0);
    }

    void wakeConsumer() {
        Futex.wake(tailWord, 1);
    }

    void wakeProducer() {
        Futex.wake(headWord, 1);
    }

    /** Producer, after {@link #producerSleeps()} returned {@code head}: the futex word to sleep on. */
    MemorySegment producerWord() {
        return headWord;
    }

    /** @return the value {@link #producerWord()} must still hold for the producer to sleep */
    int producerWordValue(long head) {
        return (int) head;
    }

    /** Producer, closing: says no record will follow those published. */
    void producerCloses() {
        setFlagVolatile(PRODUCER_CLOSED, 1);
    }

    /** Consumer, closing: says nobody will give bytes back any more. */
    void consumerCloses() {
        setFlagVolatile(CONSUMER_CLOSED, 1);
    }
}
