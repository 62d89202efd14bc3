/*
 * conduit_ring.h: the shared-memory rings of Conduit's shm: transport, for peers written in C.
 *
 * The layout and the protocol are explained in docs/shm-ring.md; this header is the same thing
 * as code, and matches dev.conduit.internal.shm (Ring, RingFile, ShmConnection) record for
 * record. Its publishers always fence, which is the stronger half of either handshake. interop/c/ring_peer.c shows it in use against a Java listener.
 *
 * Requirements: Linux on x86-64 or AArch64 (little-endian, futexes), C11 atomics, and
 * syscall(2), so build with -std=gnu11 (or define _GNU_SOURCE).
 *
 * Threads: each ring has one producer and one consumer. A struct cr_producer or
 * struct cr_consumer belongs to one thread at a time; nothing here locks.
 *
 * Naming: cr_ is this header's prefix; "position" is a byte count since the ring was made
 * (never wrapped); "index" is a position's offset in the data area, position & (capacity - 1).
 */
#ifndef CONDUIT_RING_H
#define CONDUIT_RING_H

#if !defined(__linux__) || !(defined(__x86_64__) || defined(__aarch64__))
#error "conduit_ring.h: Conduit's shared-memory rings need Linux on x86-64 or AArch64"
#endif
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "conduit_ring.h: the ring layout is little-endian"
#endif

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- the shared-memory object -------------------------------------------------------------- */

/* "CNDTRING" in ASCII, read as a little-endian u64: the first 8 bytes of the object. */
#define CR_MAGIC UINT64_C(0x474E495254444E43)
/* The layout version this header speaks (u32 at CR_VERSION_AT). */
#define CR_VERSION 2u
/* Bytes before ring 0's data; also the value of the u32 at CR_HEADER_BYTES_AT. */
#define CR_HEADER_BYTES 4096u

/* Offsets in the object's first page. All numbers are little-endian. */
#define CR_MAGIC_AT 0        /* u64 CR_MAGIC */
#define CR_VERSION_AT 8      /* u32 CR_VERSION */
#define CR_HEADER_BYTES_AT 12 /* u32 CR_HEADER_BYTES */
#define CR_CAPACITY_AT 16    /* u64 data bytes of each ring: a power of two */
#define CR_PID_AT 24         /* u32 pid of the process that created the object (the listener) */
#define CR_FLAGS_AT 28       /* u32 flags: CR_FLAG_MEMBARRIER */
#define CR_RING0_CONTROL 512  /* ring 0, client to server: its control block */
#define CR_RING1_CONTROL 1024 /* ring 1, server to client: its control block */

/* Flag: the membarrier handshake is on (docs/shm-ring.md, "Why no wake-up is lost"). Publishers
 * in processes registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED may skip their fence, so every
 * sleeper must run membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) after raising its flag. The
 * listener sets it; a client that cannot keep it clears it before it says CR_MAPPED. */
#define CR_FLAG_MEMBARRIER 1u

/* Each ring's data area: a power of two from a page to 1 GiB. The upper bound keeps the low 32
 * bits of a position (the futex word) from coming back to a value a sleeper saw (ABA). */
#define CR_MIN_CAPACITY UINT64_C(4096)
#define CR_MAX_CAPACITY (UINT64_C(1) << 30)

/* The object's size for rings of `capacity` bytes: the header page, then ring 0's data, then ring 1's. */
static inline uint64_t cr_file_bytes(uint64_t capacity) {
    return CR_HEADER_BYTES + 2 * capacity;
}

/* ---- a ring's control block -------------------------------------------------------------- */

/*
 * 512 bytes: four 128-byte lines. Each position has a line of its own, written on every message
 * by its one writer; the flags are on lines of their own, written rarely, so the flag checks each
 * side makes on every message hit in its cache instead of pulling the other side's busy line
 * over (128 bytes also covers the adjacent-line prefetcher of x86 and the 128-byte lines of some
 * AArch64 cores).
 *
 * The atomics are lock-free (checked below), so they work between processes. The futex words
 * are the low 32 bits of tail and head: the first four bytes of each, on a little-endian machine.
 */
struct cr_control {
    _Atomic uint64_t tail;              /* 0: producer's position; release stores only */
    unsigned char tail_line_rest[120];
    _Atomic uint64_t head;              /* 128: consumer's position; release stores only */
    unsigned char head_line_rest[120];
    _Atomic uint32_t producer_sleeping; /* 256: 1 while the producer sleeps (or is about to) on head */
    _Atomic uint32_t producer_closed;   /* 260: 1 once the producer has closed its end */
    unsigned char producer_flags_rest[120];
    _Atomic uint32_t consumer_sleeping; /* 384: 1 while the consumer sleeps (or is about to) on tail */
    _Atomic uint32_t consumer_closed;   /* 388: 1 once the consumer has closed its end */
    unsigned char consumer_flags_rest[120];
};

#define CR_CONTROL_BYTES 512
#define CR_TAIL_AT 0
#define CR_HEAD_AT 128
#define CR_PRODUCER_SLEEPING_AT 256
#define CR_PRODUCER_CLOSED_AT 260
#define CR_CONSUMER_SLEEPING_AT 384
#define CR_CONSUMER_CLOSED_AT 388

_Static_assert(sizeof(struct cr_control) == CR_CONTROL_BYTES, "control block size");
_Static_assert(offsetof(struct cr_control, tail) == CR_TAIL_AT, "tail offset");
_Static_assert(offsetof(struct cr_control, producer_sleeping) == CR_PRODUCER_SLEEPING_AT, "producer_sleeping");
_Static_assert(offsetof(struct cr_control, producer_closed) == CR_PRODUCER_CLOSED_AT, "producer_closed");
_Static_assert(offsetof(struct cr_control, head) == CR_HEAD_AT, "head offset");
_Static_assert(offsetof(struct cr_control, consumer_sleeping) == CR_CONSUMER_SLEEPING_AT, "consumer_sleeping");
_Static_assert(offsetof(struct cr_control, consumer_closed) == CR_CONSUMER_CLOSED_AT, "consumer_closed");
_Static_assert(CR_RING1_CONTROL == CR_RING0_CONTROL + CR_CONTROL_BYTES, "control blocks side by side");
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2, "shared atomics must be lock-free");
_Static_assert(sizeof(unsigned long) == 8, "LP64");

/* ---- records ----------------------------------------------------------------------------- */

/* A record: u32 length of the data that follows, u32 kind, the data, then filler up to a
 * multiple of CR_ALIGN. Records start at multiples of CR_ALIGN; the largest, header included,
 * is half the data area, so one always fits once the ring has drained. The header, read as one
 * little-endian u64 (length low, kind high), is the commit word: the producer stores it last,
 * with release, and before that zeroes the u64 where the next record's header will go, so the
 * consumer polls the header at its head and finds 0 until the next record is there. */
#define CR_RECORD_HEADER 8u
#define CR_ALIGN 8u
/* Bytes in front of a CR_FIRST piece's data: the whole message's length, u64. */
#define CR_TOTAL_BYTES 8u

enum cr_kind {
    CR_MESSAGE = 1, /* a whole message */
    CR_PADDING = 2, /* filler to the end of the data area (length written as 0, ignored); next record at index 0 */
    CR_FIRST = 3,   /* the first piece of a message too long for one record; data = u64 total, then bytes */
    CR_MIDDLE = 4,  /* a piece between the first and the last */
    CR_LAST = 5     /* the last piece */
};

/* `n` rounded up to a multiple of CR_ALIGN. */
static inline uint64_t cr_align(uint64_t n) {
    return (n + CR_ALIGN - 1) & ~(uint64_t) (CR_ALIGN - 1);
}

/* ---- the handshake (Conduit frames on the Unix socket $TMPDIR/conduit-shm-NAME) ------------- */

#define CR_SOCKET_PREFIX "conduit-shm-"        /* the socket's file name is this, then NAME */
#define CR_HELLO "conduit-shm 1"               /* client, first */
#define CR_RING_ANSWER "conduit-shm 1 ring="   /* server's answer, then the object's name */
#define CR_MAPPED "conduit-shm mapped"         /* client, once mapped; the server then unlinks */
#define CR_ERROR "conduit-shm error "          /* either side, instead, then a reason */
#define CR_NAME_PREFIX "/conduit-"             /* every object name starts so: /conduit-PID-N-HEX */

/* ---- futexes ----------------------------------------------------------------------------- */

/* The longest one FUTEX_WAIT may last, in nanoseconds, so that a sleeper notices a dead peer
 * (its socket at EOF) or a close whose wake it missed within this long. */
#define CR_SLICE_NS 50000000L

/* The futex word of a position: its low 32 bits, its first four bytes (little-endian). */
static inline uint32_t *cr_futex_word(_Atomic uint64_t *position) {
    return (uint32_t *) (void *) position;
}

/* FUTEX_WAIT, shared (not FUTEX_PRIVATE_FLAG: the word is in memory two processes map), on
 * `word` while it holds `expected`, for at most `nanos`. Returns 0 if woken by FUTEX_WAKE (or,
 * rarely, spuriously), else -1 with errno: EAGAIN (the word had changed), ETIMEDOUT, EINTR. */
static inline int cr_futex_wait(uint32_t *word, uint32_t expected, long nanos) {
    struct timespec timeout = {nanos / 1000000000L, nanos % 1000000000L};
    return (int) syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
}

/* FUTEX_WAKE: wakes up to `count` threads, of any process, sleeping on `word`. Never blocks.
 * Returns how many it woke. */
static inline int cr_futex_wake(uint32_t *word, int count) {
    long woken = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return woken < 0 ? 0 : (int) woken;
}

/* The pause instruction for a spin loop. */
static inline void cr_cpu_relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* What one cr_*_sleep call did. */
enum cr_sleep {
    CR_SLEEP_SKIPPED = 0, /* did not sleep: the other side had moved, or closed (or EAGAIN) */
    CR_SLEEP_WOKEN = 1,   /* slept, and a FUTEX_WAKE ended it */
    CR_SLEEP_ELAPSED = 2, /* slept until the time-out (or a signal) */
    CR_SLEEP_FAILED = -1  /* FUTEX_WAIT failed otherwise; errno says why */
};

static inline enum cr_sleep cr_sleep_result(int rc) {
    if (rc == 0) {
        return CR_SLEEP_WOKEN;
    }
    switch (errno) {
    case EAGAIN:
        return CR_SLEEP_SKIPPED;
    case ETIMEDOUT:
    case EINTR:
        return CR_SLEEP_ELAPSED;
    default:
        return CR_SLEEP_FAILED;
    }
}

/*
 * The waker's half of the sleep protocol, the same for both positions: publishes `value` with a
 * release store (after the records it covers), then a full fence, then a FUTEX_WAKE on the
 * position's word only if the other side has said it sleeps. The fence orders the store before
 * the load of the flag; the sleeper orders its store of the flag before its loads the same way,
 * so one of the two sees the other's store and no wake-up is lost (docs/shm-ring.md, "Why no
 * wake-up is lost"). Conduit's Java side, with CR_FLAG_MEMBARRIER on, skips this fence; this
 * header keeps it, so its process need not register for membarrier. Adds how many it woke to
 * *woke.
 */
static inline void cr_publish(_Atomic uint64_t *position, uint64_t value, _Atomic uint32_t *other_sleeping,
        uint64_t *woke) {
    atomic_store_explicit(position, value, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(other_sleeping, memory_order_acquire) != 0) {
        *woke += (uint64_t) cr_futex_wake(cr_futex_word(position), 1);
    }
}

/*
 * The sleeper's half: says it sleeps (`own_sleeping` := 1, with a full fence after, and with
 * `membarrier` a membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full barrier on the
 * publisher's CPU in place of its fence), reads the other side's `position` once more, then,
 * unless something moved or the other side has closed, sleeps on the position's word for at
 * most `nanos` (at most CR_SLICE_NS). "Moved" is, for a producer (`header` NULL), the position
 * differing from `seen`; for a consumer, the header word at its head (`header`) no longer 0,
 * read after the position, so that a tail it sleeps on is one the producer's next publish
 * changes. The flag goes back to 0 afterwards; a waker that still sees 1 only makes one
 * needless FUTEX_WAKE. Returns CR_SLEEP_FAILED if the membarrier call fails.
 */
static inline enum cr_sleep cr_sleep_on(_Atomic uint32_t *own_sleeping, _Atomic uint64_t *position, uint64_t seen,
        _Atomic uint64_t *header, _Atomic uint32_t *other_closed, int membarrier, long nanos) {
    enum cr_sleep result = CR_SLEEP_SKIPPED;
    atomic_store_explicit(own_sleeping, 1, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    if (membarrier && syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) != 0) {
        atomic_store_explicit(own_sleeping, 0, memory_order_seq_cst);
        return CR_SLEEP_FAILED;
    }
    uint64_t now = atomic_load_explicit(position, memory_order_seq_cst);
    int moved = header != NULL ? atomic_load_explicit(header, memory_order_seq_cst) != 0 : now != seen;
    if (!moved && atomic_load_explicit(other_closed, memory_order_seq_cst) == 0) {
        result = cr_sleep_result(cr_futex_wait(cr_futex_word(position), (uint32_t) now, nanos));
    }
    atomic_store_explicit(own_sleeping, 0, memory_order_seq_cst);
    return result;
}

/* ---- mapping ----------------------------------------------------------------------------- */

/* One ring in a mapped object: its control block and data area. */
struct cr_ring {
    struct cr_control *ctl;
    unsigned char *data;
    uint64_t capacity;   /* data bytes, a power of two */
    uint64_t mask;       /* capacity - 1 */
    uint64_t max_record; /* capacity / 2: the largest record, header included */
    int membarrier;      /* CR_FLAG_MEMBARRIER was set when the ring was described */
};

/*
 * Checks the header of a mapping of `size` bytes as Conduit's RingFile.open does. Returns NULL
 * and stores each ring's capacity in *capacity if it is a Conduit ring object; else a text
 * saying what is wrong.
 */
static inline const char *cr_check_header(const void *base, uint64_t size, uint64_t *capacity) {
    const unsigned char *p = base;
    uint64_t magic, cap;
    uint32_t version, header;
    if (size < CR_HEADER_BYTES) {
        return "too short for the 4096-byte header";
    }
    memcpy(&magic, p + CR_MAGIC_AT, 8);
    memcpy(&version, p + CR_VERSION_AT, 4);
    memcpy(&header, p + CR_HEADER_BYTES_AT, 4);
    memcpy(&cap, p + CR_CAPACITY_AT, 8);
    if (magic != CR_MAGIC) {
        return "no CNDTRING magic: not a Conduit ring object";
    }
    if (version != CR_VERSION) {
        return "a ring layout version other than 2";
    }
    if (header != CR_HEADER_BYTES || (cap & (cap - 1)) != 0 || cap < CR_MIN_CAPACITY || cap > CR_MAX_CAPACITY
            || size != cr_file_bytes(cap)) {
        return "header bytes, capacity and object size do not fit together";
    }
    *capacity = cap;
    return NULL;
}

/*
 * A client, after cr_check_header and before it says CR_MAPPED: keeps CR_FLAG_MEMBARRIER only
 * if this kernel lets the process run membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), as its
 * sleepers then must. Returns the flags as they stay.
 */
static inline uint32_t cr_settle_flags(void *base) {
    unsigned char *p = base;
    uint32_t flags;
    memcpy(&flags, p + CR_FLAGS_AT, 4);
    long offered = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if ((flags & CR_FLAG_MEMBARRIER) && (offered < 0 || !(offered & MEMBARRIER_CMD_GLOBAL_EXPEDITED))) {
        flags &= ~CR_FLAG_MEMBARRIER;
        memcpy(p + CR_FLAGS_AT, &flags, 4);
    }
    return flags;
}

/* Describes ring `which` (0: client to server, 1: server to client) of a checked mapping whose
 * flags are settled (cr_settle_flags). */
static inline struct cr_ring cr_ring_at(void *base, uint64_t capacity, int which) {
    unsigned char *p = base;
    uint32_t flags;
    memcpy(&flags, p + CR_FLAGS_AT, 4);
    struct cr_ring r = {
        .ctl = (struct cr_control *) (void *) (p + (which ? CR_RING1_CONTROL : CR_RING0_CONTROL)),
        .data = p + CR_HEADER_BYTES + (which ? capacity : 0),
        .capacity = capacity,
        .mask = capacity - 1,
        .max_record = capacity / 2,
        .membarrier = (flags & CR_FLAG_MEMBARRIER) != 0,
    };
    return r;
}

/* ---- producing --------------------------------------------------------------------------- */

/* The producer's end of a ring. */
struct cr_producer {
    struct cr_ring ring;
    uint64_t tail;      /* where the next record goes; others see it once published */
    uint64_t published; /* the tail last published */
    uint64_t head_seen; /* the consumer's head, as last read */
    uint64_t woke;      /* consumer threads woken by publishing: a statistic */
};

static inline void cr_producer_init(struct cr_producer *p, struct cr_ring ring) {
    p->ring = ring;
    p->tail = atomic_load_explicit(&ring.ctl->tail, memory_order_acquire);
    p->published = p->tail;
    p->head_seen = atomic_load_explicit(&ring.ctl->head, memory_order_acquire);
    p->woke = 0;
}

/* The u64 header word at `index` of the data area (a multiple of CR_ALIGN). */
static inline _Atomic uint64_t *cr_header_at(const struct cr_ring *r, uint64_t index) {
    return (_Atomic uint64_t *) (void *) (r->data + index);
}

/* Commits the record of `record` bytes at `index`, whose data is written: zeroes the header
 * word of the record after it, then stores this one's header with release, so the consumer
 * that sees it sees the data and the zero too. The producer claimed room for that word. */
static inline void cr_commit(struct cr_ring *r, uint64_t index, uint32_t length, uint32_t kind, uint64_t record) {
    atomic_store_explicit(cr_header_at(r, (index + record) & r->mask), 0, memory_order_relaxed);
    atomic_store_explicit(cr_header_at(r, index), (uint64_t) kind << 32 | length, memory_order_release);
}

/*
 * Claims room at the tail for one record of `record` bytes (header included, a multiple of
 * CR_ALIGN, at most max_record), and for the header word after it, which committing zeroes.
 * If the record would run past the end of the data area, it first needs room for a padding
 * record up to the end as well, and commits it. Returns the record's index, or -1 if there is
 * not enough room yet (then nothing was written).
 */
static inline int64_t cr_claim(struct cr_producer *p, uint64_t record) {
    uint64_t index = p->tail & p->ring.mask;
    uint64_t to_end = p->ring.capacity - index;
    uint64_t pad = record > to_end ? to_end : 0;
    uint64_t need = pad + record + CR_RECORD_HEADER;
    if (p->tail + need - p->head_seen > p->ring.capacity) {
        p->head_seen = atomic_load_explicit(&p->ring.ctl->head, memory_order_acquire);
        if (p->tail + need - p->head_seen > p->ring.capacity) {
            return -1;
        }
    }
    if (pad > 0) {
        cr_commit(&p->ring, index, 0, CR_PADDING, pad);
        p->tail += pad;
        index = 0;
    }
    return (int64_t) index;
}

/*
 * Writes one record of `kind` with `count` bytes of `data` (for CR_FIRST, preceded by the u64
 * `total`, the whole message's length) at the tail and commits it (a consumer polling the
 * header may take it at once), without publishing the tail. Returns 1, or 0 if
 * the ring has no room for it yet.
 */
static inline int cr_try_put(struct cr_producer *p, uint32_t kind, uint64_t total, const void *data, uint32_t count) {
    uint32_t extra = kind == CR_FIRST ? CR_TOTAL_BYTES : 0;
    uint64_t record = cr_align(CR_RECORD_HEADER + extra + (uint64_t) count);
    int64_t index = cr_claim(p, record);
    if (index < 0) {
        return 0;
    }
    unsigned char *at = p->ring.data + index + CR_RECORD_HEADER;
    if (extra > 0) {
        memcpy(at, &total, CR_TOTAL_BYTES);
    }
    if (count > 0) {
        memcpy(at + extra, data, count);
    }
    cr_commit(&p->ring, (uint64_t) index, extra + count, kind, record);
    p->tail += record;
    return 1;
}

/* Publishes the records written since the last call: cr_publish on the tail, waking a sleeping consumer. */
static inline void cr_publish_tail(struct cr_producer *p) {
    if (p->tail != p->published) {
        p->published = p->tail;
        cr_publish(&p->ring.ctl->tail, p->tail, &p->ring.ctl->consumer_sleeping, &p->woke);
    }
}

/*
 * One sleep of a producer that found the ring full (cr_claim returned -1, which refreshed
 * head_seen) and has spun a little: cr_sleep_on the head, unless it moved or the consumer
 * closed. The caller must have published its tail (a consumer waiting for those records would
 * otherwise never make room) and afterwards tries cr_claim again, and checks the
 * consumer_closed flag and the peer's socket.
 */
static inline enum cr_sleep cr_producer_sleep(struct cr_producer *p, long nanos) {
    struct cr_control *ctl = p->ring.ctl;
    return cr_sleep_on(&ctl->producer_sleeping, &ctl->head, p->head_seen, NULL, &ctl->consumer_closed,
            p->ring.membarrier, nanos);
}

/* The most message bytes in one piece: a CR_FIRST record (header, total, bytes) is then exactly max_record. */
static inline uint64_t cr_piece_bytes(const struct cr_ring *r) {
    return r->max_record - CR_RECORD_HEADER - CR_TOTAL_BYTES;
}

/*
 * Called by cr_send while the ring has no room: waits a little (spin, then cr_producer_sleep)
 * and returns 0 to try again, or non-zero to give up (the consumer closed, the peer died).
 */
typedef int (*cr_wait_fn)(struct cr_producer *p, void *arg);

/*
 * Sends one message of `length` bytes as Conduit does: one CR_MESSAGE record if it fits in
 * max_record, else CR_FIRST, CR_MIDDLE..., CR_LAST pieces of cr_piece_bytes() (the last
 * shorter), then publishes. While the ring is full it publishes what it wrote and calls
 * `wait_room(p, arg)`. Returns 0 once sent, or what that returned when it gave up (the message
 * may then be partly written). The receiver refuses messages above its maxFrame (16 MiB by
 * default in Conduit) by closing the connection.
 */
static inline int cr_send(struct cr_producer *p, const void *message, uint64_t length, cr_wait_fn wait_room,
        void *arg) {
    const unsigned char *bytes = message;
    uint64_t piece = cr_piece_bytes(&p->ring);
    int whole = cr_align(CR_RECORD_HEADER + length) <= p->ring.max_record;
    uint64_t sent = 0;
    do {
        uint64_t count = whole ? length : length - sent < piece ? length - sent : piece;
        uint32_t kind = whole ? CR_MESSAGE : sent == 0 ? CR_FIRST : sent + count == length ? CR_LAST : CR_MIDDLE;
        while (!cr_try_put(p, kind, length, bytes + sent, (uint32_t) count)) {
            cr_publish_tail(p);
            int rc = wait_room(p, arg);
            if (rc != 0) {
                return rc;
            }
        }
        sent += count;
    } while (sent < length);
    cr_publish_tail(p);
    return 0;
}

/* ---- consuming --------------------------------------------------------------------------- */

/* The consumer's end of a ring. */
struct cr_consumer {
    struct cr_ring ring;
    uint64_t head;      /* where the next record starts; the producer sees it once published */
    uint64_t woke;      /* producer threads woken by giving back: a statistic */
};

static inline void cr_consumer_init(struct cr_consumer *c, struct cr_ring ring) {
    c->ring = ring;
    c->head = atomic_load_explicit(&ring.ctl->head, memory_order_acquire);
    c->woke = 0;
}

/* The header word where the consumer's next record goes: 0 until the producer commits it. */
static inline _Atomic uint64_t *cr_next_header(const struct cr_consumer *c) {
    return cr_header_at(&c->ring, c->head & c->ring.mask);
}

/* A record at the head, as cr_peek shows it. */
struct cr_record {
    uint32_t kind;             /* CR_MESSAGE, CR_FIRST, CR_MIDDLE or CR_LAST; never CR_PADDING */
    uint32_t length;           /* message bytes in this record (for CR_FIRST, without the total) */
    const unsigned char *data; /* those bytes, in the ring */
    uint64_t total;            /* CR_FIRST only: the whole message's length */
    uint64_t bytes;            /* the record's size in the ring, header and alignment included */
};

/*
 * Looks at the record at the head without taking it, stepping over padding. Returns 1 and fills
 * *rec; 0 if the producer has committed nothing more; or -1 with *why set if the ring is
 * corrupt. rec->data stays valid and unchanged until cr_consume gives the record back.
 */
static inline int cr_peek(struct cr_consumer *c, struct cr_record *rec, const char **why) {
    for (;;) {
        uint64_t index = c->head & c->ring.mask;
        uint64_t header = atomic_load_explicit(cr_next_header(c), memory_order_acquire);
        if (header == 0) {
            return 0;
        }
        uint32_t length = (uint32_t) header;
        uint32_t kind = (uint32_t) (header >> 32);
        if (kind == CR_PADDING) {
            if (c->ring.capacity - index >= c->ring.max_record) {
                *why = "padding where a record would fit";
                return -1;
            }
            c->head += c->ring.capacity - index;
            continue;
        }
        rec->bytes = cr_align(CR_RECORD_HEADER + (uint64_t) length);
        if (index + CR_RECORD_HEADER + length > c->ring.capacity || rec->bytes > c->ring.max_record) {
            *why = "a record runs past the end of the data area or is longer than half the ring";
            return -1;
        }
        if (kind < CR_MESSAGE || kind > CR_LAST) {
            *why = "a record of unknown kind";
            return -1;
        }
        rec->kind = kind;
        rec->length = length;
        rec->data = c->ring.data + index + CR_RECORD_HEADER;
        rec->total = 0;
        if (kind == CR_FIRST) {
            if (length < CR_TOTAL_BYTES) {
                *why = "a first piece too short for its total";
                return -1;
            }
            memcpy(&rec->total, rec->data, CR_TOTAL_BYTES);
            rec->data += CR_TOTAL_BYTES;
            rec->length -= CR_TOTAL_BYTES;
        }
        return 1;
    }
}

/*
 * Gives the record cr_peek showed (and any padding before it) back to the producer: cr_publish
 * on the head, waking a sleeping producer. The release store orders this thread's reads of the
 * record before the producer's overwriting of it.
 */
static inline void cr_consume(struct cr_consumer *c, const struct cr_record *rec) {
    c->head += rec->bytes;
    cr_publish(&c->ring.ctl->head, c->head, &c->ring.ctl->producer_sleeping, &c->woke);
}

/*
 * One sleep of a consumer that found the ring empty (cr_peek returned 0) and has spun a little:
 * cr_sleep_on the tail, unless a record came or the producer closed. Afterwards the caller
 * peeks again, and checks producer_closed and the peer's socket.
 */
static inline enum cr_sleep cr_consumer_sleep(struct cr_consumer *c, long nanos) {
    struct cr_control *ctl = c->ring.ctl;
    return cr_sleep_on(&ctl->consumer_sleeping, &ctl->tail, 0, cr_next_header(c), &ctl->producer_closed,
            c->ring.membarrier, nanos);
}

/*
 * Whether the producer has closed and everything it committed has been taken: the end of the
 * stream. The header is read after the flag, so it shows the producer's last record.
 */
static inline int cr_drained(struct cr_consumer *c) {
    if (atomic_load_explicit(&c->ring.ctl->producer_closed, memory_order_acquire) == 0) {
        return 0;
    }
    return atomic_load_explicit(cr_next_header(c), memory_order_acquire) == 0;
}

/* ---- closing ----------------------------------------------------------------------------- */

/*
 * Closes this side of a connection as Conduit does: publishes what `out` has written, sets
 * producer_closed on `out` and consumer_closed on `in`, and wakes every sleeper on all four
 * futex words (the peer's, and any thread of this process). Close the handshake socket after
 * this, then unmap.
 */
static inline void cr_close(struct cr_producer *out, struct cr_consumer *in) {
    cr_publish_tail(out);
    atomic_store_explicit(&out->ring.ctl->producer_closed, 1, memory_order_seq_cst);
    atomic_store_explicit(&in->ring.ctl->consumer_closed, 1, memory_order_seq_cst);
    cr_futex_wake(cr_futex_word(&out->ring.ctl->tail), INT_MAX);
    cr_futex_wake(cr_futex_word(&out->ring.ctl->head), INT_MAX);
    cr_futex_wake(cr_futex_word(&in->ring.ctl->tail), INT_MAX);
    cr_futex_wake(cr_futex_word(&in->ring.ctl->head), INT_MAX);
}

#endif /* CONDUIT_RING_H */
