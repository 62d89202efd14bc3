/*
 * conduit_baseline: what a Linux IPC mechanism can do at best, measured the way Conduit's
 * harness measures Conduit, so a Java row can be read against the physical limit beneath it.
 *
 *   conduit_baseline MECH MODE SIZE COUNT WARMUP
 *
 *   MECH    uds        AF_UNIX SOCK_STREAM socketpair
 *           pipe       two pipe(2)s
 *           fifo       two mkfifo FIFOs in a private temporary directory
 *           sysv       two System V message queues (IPC_PRIVATE), one msgsnd per message
 *           shm        one single-producer single-consumer ring per direction in shared memory,
 *                      published by each record's length; a waiting side spins, then also yields
 *           shm-futex  the same rings; the receiver spins 5 µs (CONDUIT_BASELINE_SPIN_NS), then sleeps in
 *                      FUTEX_WAIT, and the sender calls FUTEX_WAKE only when a waiter is announced
 *   MODE    pingpong   round trips: the parent sends, the child echoes the whole message back
 *           throughput one way, one write/msgsnd/ring record per message, one ack at the end
 *           batched    one way; uds/pipe/fifo write as many whole frames as fit in 64 KiB per
 *                      write(); shm and shm-futex publish that many bytes of records at once;
 *                      sysv has no batched writes and runs throughput
 *   SIZE    payload bytes, 8..1048576 (sysv: also at most the kernel's msgmax)
 *   COUNT   messages (or round trips) measured; WARMUP more are run first and not measured
 *
 * Prints one line of key=value pairs on stdout and exits 0 only if every message verified.
 * Errors go to stderr, prefixed "conduit_baseline:", with exit status 1 (2 for bad usage).
 *
 * Payloads are laid out as the Java harness's (dev.conduit.bench.Payloads), all big-endian:
 *
 *   0        4          8                16
 *   +--------+----------+----------------+--------------------------+
 *   | seq    | crc32c   | seq * golden   | fixed pattern ...        |
 *   +--------+----------+----------------+--------------------------+
 *              (CRC32C of bytes 8..SIZE-1)
 *
 * seq is the message's index mod 2^32 (warm-up messages count), golden 0x9E3779B97F4A7C15 times
 * seq sign-extended to 64 bits, cut to its first SIZE-8 bytes when SIZE < 16. The sender
 * computes the CRC of every message; one-way receivers and the ping-pong parent check all three
 * fields of every message; the echoing child checks the sequence number only (the Java echo
 * checks nothing). CRC32C uses the SSE4.2 or ARMv8 CRC instructions where the CPU has them.
 * uds, pipe and fifo carry Conduit's frames: a 4-byte big-endian length, then the payload.
 *
 * CONDUIT_BASELINE_SPIN_NS=N sets how long a shm-futex receiver spins before it sleeps (default
 * 5000; 0 sleeps at once), as Conduit's ?spin= does, so `conduit bench --spin` compares like
 * with like.
 *
 * Test hook: CONDUIT_BASELINE_CORRUPT=N makes the sender flip the last byte of message N
 * (counting warm-up messages from 0), to show that the receiver notices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#elif defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>
#endif
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE (1u << 20)
#define MIN_SIZE 8u
#define HEADER 4u
#define BATCH_BYTES (64u * 1024u)
#define RING_MIN_BYTES (1024u * 1024u) /* as Conduit's shm: the same slack for a descheduled side */
#define RING_PAD 0xFFFFFFFFu
#define SPIN_NS 5000ULL
#define FUTEX_TIMEOUT_NS 100000000L

enum kind { STREAM, SYSV, RING };
enum mode { PINGPONG, THROUGHPUT, BATCHED };

static const char *const MECHS[] = {"uds", "pipe", "fifo", "sysv", "shm", "shm-futex"};
static const char *const MODES[] = {"pingpong", "throughput", "batched"};

static const char *g_mech;
static enum mode g_mode;
static uint32_t g_size;
static unsigned long long g_count, g_warmup;
static unsigned long long g_corrupt = ULLONG_MAX;
static unsigned long long g_spin_ns = SPIN_NS;
static uint8_t *g_template;
static int g_is_child;
static int g_single_cpu;
static int g_cpu[2] = {-1, -1};
static pid_t g_child = -1;
static volatile sig_atomic_t g_child_exited;
static volatile sig_atomic_t g_finishing;
static int g_queue[2] = {-1, -1};
static int g_queue_id[2] = {-1, -1};
static char g_dir[PATH_MAX];
static char g_fifo[2][PATH_MAX + 8];
static volatile sig_atomic_t g_dir_made, g_fifo_made[2];

/* ---- errors and clean-up --------------------------------------------------------------- */

/* Async-signal-safe: called from die() and from the signal handlers. */
static void remove_resources(void) {
    for (int i = 0; i < 2; i++) {
        if (g_queue[i] >= 0) {
            msgctl(g_queue[i], IPC_RMID, NULL);
            g_queue[i] = -1;
        }
        if (g_fifo_made[i]) {
            unlink(g_fifo[i]);
            g_fifo_made[i] = 0;
        }
    }
    if (g_dir_made) {
        rmdir(g_dir);
        g_dir_made = 0;
    }
}

static void kill_child(void) {
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        while (waitpid(g_child, NULL, 0) < 0 && errno == EINTR) {
        }
        g_child = -1;
    }
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_template == NULL) { /* still checking the arguments */
        fprintf(stderr, "conduit_baseline: %s\n", msg);
    } else {
        fprintf(stderr, "conduit_baseline: %s %s size=%u (%s): %s\n", g_mech, MODES[g_mode], g_size,
                g_is_child ? "child" : "parent", msg);
    }
    if (g_is_child) {
        _exit(1);
    }
    kill_child();
    remove_resources();
    exit(1);
}

#define die_errno(what, ...) die(what ": %s", __VA_ARGS__, strerror(errno))

/* The other process is gone or went away from the conversation: say how, then give up. */
__attribute__((noreturn)) static void peer_gone(const char *what, unsigned long long index) {
    if (g_is_child) {
        die("message %llu: %s: the parent went away", index, what);
    }
    for (int tries = 0; tries < 200 && g_child > 0; tries++) {
        int status;
        if (waitpid(g_child, &status, WNOHANG) == g_child) {
            g_child = -1;
            if (WIFEXITED(status)) {
                die("message %llu: %s: child process exited with status %d (its message, if any, is above)",
                    index, what, WEXITSTATUS(status));
            }
            die("message %llu: %s: child process was killed by signal %d (%s)", index, what,
                WTERMSIG(status), strsignal(WTERMSIG(status)));
        }
        usleep(5000);
    }
    die("message %llu: %s", index, what);
}

static void on_terminate(int sig) {
    static const char msg[] = "conduit_baseline: terminated by a signal; cleaned up\n";
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
    }
    remove_resources();
    (void) !write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(128 + sig);
}

/* Wakes whatever the parent is blocked in: EINTR for most calls, EIDRM for msgrcv/msgsnd, and a
 * reader for a FIFO the child never opened. Poll loops look at g_child_exited. */
static void on_child_exit(int sig) {
    (void) sig;
    if (g_finishing) {
        return;
    }
    g_child_exited = 1;
    for (int i = 0; i < 2; i++) {
        if (g_queue[i] >= 0) {
            msgctl(g_queue[i], IPC_RMID, NULL);
        }
    }
    if (g_fifo_made[0]) { /* the FIFO opens may be waiting for a child that never comes */
        open(g_fifo[0], O_RDONLY | O_NONBLOCK);
        open(g_fifo[1], O_WRONLY | O_NONBLOCK);
    }
}

static void check_child(unsigned long long index) {
    if (g_child_exited) {
        peer_gone("waiting for the peer", index);
    }
}

/* ---- payloads ------------------------------------------------------------------------- */

static inline uint32_t get_be32(const uint8_t *p) {
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

#define GOLDEN 0x9E3779B97F4A7C15ull

static uint32_t g_crc_table[8][256];
static int g_crc_hw;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        g_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            g_crc_table[t][i] = (g_crc_table[t - 1][i] >> 8) ^ g_crc_table[0][g_crc_table[t - 1][i] & 0xFF];
        }
    }
#if defined(__x86_64__)
    g_crc_hw = __builtin_cpu_supports("sse4.2");
#elif defined(__aarch64__) && defined(HWCAP_CRC32)
    g_crc_hw = (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

#if defined(__x86_64__)
#define CRC_TARGET __attribute__((target("sse4.2")))
#define CRC_U64(c, w) ((uint32_t) _mm_crc32_u64((c), (w)))
#define CRC_U8(c, b) _mm_crc32_u8((c), (b))
#elif defined(__aarch64__) && defined(HWCAP_CRC32)
#define CRC_TARGET __attribute__((target("+crc")))
#define CRC_U64(c, w) __crc32cd((c), (w))
#define CRC_U8(c, b) __crc32cb((c), (b))
#endif

/*
 * The instruction has a latency of three cycles and a throughput of one, so one stream of it
 * runs at a third of the CPU's speed: 1 KiB took ~130 ns a side, and the C ring lost to Java's
 * CRC32C intrinsic, which runs three streams. So does this, for payloads of g_crc_block * 3
 * bytes and more: three interleaved streams over three blocks, joined by shifting the first
 * two over the blocks after them (crc(s, A B) = shift_|B|(crc(s, A)) ^ crc(0, B); the shift
 * is linear, a table per byte of the register, built for the one block length a run uses).
 */
static uint32_t g_crc_block;          /* bytes per stream, a multiple of 8, or 0 for one stream */
static uint32_t g_crc_shift[4][256];  /* the register shifted over g_crc_block zero bytes */

#ifdef CRC_TARGET
CRC_TARGET static uint32_t crc_zeros(uint32_t c, uint32_t n) {
    for (uint32_t i = 0; i < n; i += 8) {
        c = CRC_U64(c, 0);
    }
    return c;
}

static inline uint32_t crc_shift(uint32_t c) {
    return g_crc_shift[0][c & 0xFF] ^ g_crc_shift[1][(c >> 8) & 0xFF] ^ g_crc_shift[2][(c >> 16) & 0xFF]
           ^ g_crc_shift[3][c >> 24];
}

/* Readies the three streams for payloads of `size` bytes (all of a run's are that size). */
static void crc_streams(uint32_t n) {
    g_crc_block = n >= 3 * 64 ? (n / 3) & ~7u : 0;
    for (int k = 0; g_crc_block != 0 && k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            g_crc_shift[k][b] = crc_zeros(b << (8 * k), g_crc_block);
        }
    }
}

CRC_TARGET static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n) {
    uint64_t w, w1, w2;
    if (g_crc_block != 0 && n >= 3 * (size_t) g_crc_block) {
        uint32_t c1 = 0, c2 = 0, b = g_crc_block;
        for (uint32_t i = 0; i < b; i += 8) {
            memcpy(&w, p + i, 8);
            memcpy(&w1, p + b + i, 8);
            memcpy(&w2, p + 2 * b + i, 8);
            c = CRC_U64(c, w);
            c1 = CRC_U64(c1, w1);
            c2 = CRC_U64(c2, w2);
        }
        c = crc_shift(crc_shift(c) ^ c1) ^ c2;
        p += 3 * (size_t) b;
        n -= 3 * (size_t) b;
    }
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        c = CRC_U64(c, w);
    }
    for (; n > 0; p++, n--) {
        c = CRC_U8(c, *p);
    }
    return c;
}
#else
static void crc_streams(uint32_t n) {
    (void) n;
}

static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n) {
    (void) p;
    (void) n;
    return c;
}
#endif

/* CRC-32C (Castagnoli), as java.util.zip.CRC32C: reflected, initial and final value ~0. */
static uint32_t crc32c(const uint8_t *p, size_t n) {
    uint32_t c = ~0u;
    if (g_crc_hw) {
        return ~crc_hw(c, p, n);
    }
    for (; n >= 8; p += 8, n -= 8) { /* slicing-by-8, for CPUs without the instruction */
        uint32_t lo = c ^ ((uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24);
        c = g_crc_table[7][lo & 0xFF] ^ g_crc_table[6][(lo >> 8) & 0xFF] ^ g_crc_table[5][(lo >> 16) & 0xFF]
            ^ g_crc_table[4][lo >> 24] ^ g_crc_table[3][p[4]] ^ g_crc_table[2][p[5]] ^ g_crc_table[1][p[6]]
            ^ g_crc_table[0][p[7]];
    }
    for (; n > 0; p++, n--) {
        c = (c >> 8) ^ g_crc_table[0][(c ^ *p) & 0xFF];
    }
    return ~c;
}

/* Bytes 8..15: seq times the golden ratio, seq sign-extended as Java's int * long does. */
static inline void put_golden(uint8_t *p, uint32_t seq, uint32_t room) {
    uint64_t v = (uint64_t) (int64_t) (int32_t) seq * GOLDEN;
    for (uint32_t i = 0; i < 8 && i < room; i++) {
        p[i] = (uint8_t) (v >> (56 - 8 * i));
    }
}

static void make_template(void) {
    crc_init();
    if (g_crc_hw) {
        crc_streams(g_size - 8);
    }
    g_template = malloc(g_size);
    if (g_template == NULL) {
        die("cannot allocate %u bytes for the payload", g_size);
    }
    uint32_t state = 0x2545F491u;
    for (uint32_t i = 0; i < g_size; i++) {
        state = state * 1664525u + 1013904223u;
        g_template[i] = (uint8_t) (state >> 24);
    }
}

/* Turns a copy of the template into message `index`: the sender's work for every message. */
static inline void stamp(uint8_t *p, unsigned long long index) {
    put_be32(p, (uint32_t) index);
    put_golden(p + 8, (uint32_t) index, g_size - 8);
    put_be32(p + 4, crc32c(p + 8, g_size - 8));
    if (index == g_corrupt) {
        p[g_size - 1] ^= 0xFF;
    }
}

/* The corrupted byte lives in a reused buffer: put it back after the message is sent. */
static inline void unstamp(uint8_t *p, unsigned long long index) {
    if (index == g_corrupt) {
        p[g_size - 1] ^= 0xFF;
    }
}

static void verify(const uint8_t *p, uint32_t len, unsigned long long index, int full) {
    if (len != g_size) {
        die("message %llu: %u bytes (expected %u)", index, len, g_size);
    }
    uint32_t seq = get_be32(p);
    if (seq != (uint32_t) index) {
        die("message %llu: sequence number %u (expected %u; lost, duplicated or reordered)", index, seq,
            (uint32_t) index);
    }
    if (full) {
        uint32_t want = get_be32(p + 4), got = crc32c(p + 8, len - 8);
        if (got != want) {
            die("message %llu: CRC32C 0x%08x of bytes 8..%u does not match 0x%08x in bytes 4..7",
                index, got, len - 1, want);
        }
        uint8_t golden[8];
        put_golden(golden, seq, len - 8);
        if (memcmp(golden, p + 8, len - 8 < 8 ? len - 8 : 8) != 0) {
            die("message %llu: bytes 8..15 are not sequence number %u times the golden ratio", index, seq);
        }
    }
}

static inline uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

static inline void relax(void) {
    if (g_single_cpu) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* ---- streams: uds, pipe, fifo --------------------------------------------------------- */

struct reader {
    int fd;
    uint8_t *buf;
    size_t cap, start, end;
};

static void ensure(struct reader *r, size_t n, unsigned long long index) {
    if (r->end - r->start >= n) {
        return;
    }
    if (r->cap - r->start < n) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    while (r->end - r->start < n) {
        ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (k > 0) {
            r->end += (size_t) k;
        } else if (k == 0) {
            char what[96];
            snprintf(what, sizeof what, "stream closed in the middle of a frame (%zu of %zu bytes)",
                     r->end - r->start, n);
            peer_gone(r->end == r->start ? "stream closed before it" : what, index);
        } else if (errno == EINTR) {
            check_child(index);
        } else if (errno == ECONNRESET) {
            peer_gone("connection reset", index);
        } else {
            die_errno("message %llu: read", index);
        }
    }
}

/* Returns the payload of the next frame, valid until the next call; checks its length. */
static const uint8_t *next_frame(struct reader *r, uint32_t expected, unsigned long long index) {
    ensure(r, HEADER, index);
    uint32_t len = get_be32(r->buf + r->start);
    if (len != expected) {
        die("message %llu: frame length %u (expected %u)", index, len, expected);
    }
    ensure(r, HEADER + len, index);
    const uint8_t *p = r->buf + r->start + HEADER;
    r->start += HEADER + len;
    return p;
}

static void write_all(int fd, const uint8_t *p, size_t n, unsigned long long index) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k >= 0) {
            p += k;
            n -= (size_t) k;
        } else if (errno == EINTR) {
            check_child(index);
        } else if (errno == EPIPE || errno == ECONNRESET) {
            peer_gone("stream closed by the reader", index);
        } else {
            die_errno("message %llu: write", index);
        }
    }
}

/* ---- System V message queues ---------------------------------------------------------- */

struct qmsg {
    long mtype;
    uint8_t text[];
};

static void check_sysv_limits(void) {
    struct msginfo info;
    if (msgctl(0, IPC_INFO, (struct msqid_ds *) (void *) &info) < 0) {
        die_errno("msgctl(IPC_INFO)%s", "");
    }
    if (g_size > (uint32_t) info.msgmax) {
        die("size %u exceeds the kernel's System V message limit msgmax=%d (/proc/sys/kernel/msgmax); "
            "sysv runs need size <= %d", g_size, info.msgmax, info.msgmax);
    }
    if (g_size > (uint32_t) info.msgmnb) {
        die("size %u exceeds the kernel's System V queue limit msgmnb=%d (/proc/sys/kernel/msgmnb)",
            g_size, info.msgmnb);
    }
}

static void q_send(int q, struct qmsg *m, uint32_t len, unsigned long long index) {
    m->mtype = 1;
    while (msgsnd(q, m, len, 0) < 0) {
        if (errno == EINTR) {
            check_child(index);
        } else if (errno == EIDRM || errno == EINVAL) {
            peer_gone("queue removed", index);
        } else {
            die_errno("message %llu: msgsnd", index);
        }
    }
}

static uint32_t q_recv(int q, struct qmsg *m, size_t cap, unsigned long long index) {
    for (;;) {
        ssize_t n = msgrcv(q, m, cap, 0, 0);
        if (n >= 0) {
            return (uint32_t) n;
        } else if (errno == EINTR) {
            check_child(index);
        } else if (errno == EIDRM || errno == EINVAL) {
            peer_gone("queue removed", index);
        } else if (errno == E2BIG) {
            die("message %llu: longer than %zu bytes", index, cap);
        } else {
            die_errno("message %llu: msgrcv", index);
        }
    }
}

/* ---- shared-memory rings -------------------------------------------------------------- */

/*
 * One direction. Positions only grow; a record at position p lives at data[p & mask]:
 * a 4-byte length (native order), the payload, padding to 8 bytes. A record that would run
 * past the end is preceded by RING_PAD, which sends the reader back to data[0].
 *
 * The length is the publication, as in Aeron's and Conduit's rings: there is no shared tail,
 * so the only line both sides write per message is the record itself, which the consumer has
 * to read anyway. A producer keeps the first header of what it has not published yet aside
 * (`pending`), writes the rest of its records plainly, zeroes the header after them (which
 * the consumer will wait on next: it was last written a lap ago, so it may hold anything),
 * and then stores the kept length with release: one publication per message (throughput,
 * pingpong) or per 64 KiB of records (batched), and the consumer reads a whole batch after
 * one acquire. Lengths are never 0, so 0 means "not yet".
 *
 * head: by the consumer only (release), every eighth of the ring and whenever it runs dry, on
 * its own 64-byte line; the producer reads it only when its cached copy says the ring is full.
 * The ring is at least 1 MiB (Conduit's default) and at least four of the largest records.
 */
struct ring {
    _Alignas(64) _Atomic uint64_t wakes;
    _Alignas(64) _Atomic uint64_t head;
    _Atomic uint64_t waits;
    _Alignas(64) _Atomic uint32_t waiting; /* futex word: 1 = the consumer may be asleep */
};

#define RING_DATA_OFFSET 256u
#define RING_SPIN_POLLS 4096u /* polls (~50-100 µs) before a waiter also yields its CPU */

struct ring_end {
    struct ring *ctl;
    uint8_t *data;
    uint64_t cap, pos, cached; /* producer: cached is the consumer's last seen head */
    int futex;
    uint64_t published;        /* consumer: the head last stored */
    _Atomic uint32_t *pending; /* producer: the first unpublished header, or NULL */
    uint32_t pending_len;      /* ... and the length it will hold */
};

static uint64_t g_ring_cap;

static inline uint64_t record_bytes(uint32_t len) {
    return (HEADER + (uint64_t) len + 7) & ~(uint64_t) 7;
}

static inline _Atomic uint32_t *ring_header(struct ring_end *e, uint64_t idx) {
    return (_Atomic uint32_t *) (void *) (e->data + idx);
}

/* Waits for the other process a bounded time with the CPU's pause, then also yields: pinned
 * processes that share a CPU with a busy neighbour (or with each other) still make progress. */
static inline void wait_a_little(unsigned polls) {
    if (polls >= RING_SPIN_POLLS) {
        sched_yield();
    } else {
        relax();
    }
}

static void ring_publish(struct ring_end *e) {
    if (e->pending == NULL) {
        return;
    }
    atomic_store_explicit(ring_header(e, e->pos & (e->cap - 1)), 0, memory_order_relaxed);
    atomic_store_explicit(e->pending, e->pending_len, memory_order_release);
    e->pending = NULL;
    if (e->futex) {
        /* Pairs with the consumer's seq_cst store of waiting and load of the header: one of the
         * two sides sees the other's store, so a consumer never sleeps through a record. */
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&e->ctl->waiting, memory_order_relaxed) != 0
                && atomic_exchange(&e->ctl->waiting, 0) != 0) {
            syscall(SYS_futex, (uint32_t *) &e->ctl->waiting, FUTEX_WAKE, 1, NULL, NULL, 0);
            atomic_fetch_add_explicit(&e->ctl->wakes, 1, memory_order_relaxed);
        }
    }
}

static void ring_put_header(struct ring_end *e, uint64_t idx, uint32_t len) {
    if (e->pending == NULL) {
        e->pending = ring_header(e, idx);
        e->pending_len = len;
    } else {
        atomic_store_explicit(ring_header(e, idx), len, memory_order_relaxed);
    }
}

static uint8_t *ring_claim(struct ring_end *e, uint32_t len, unsigned long long index) {
    uint64_t rec = record_bytes(len), idx = e->pos & (e->cap - 1), to_end = e->cap - idx;
    uint64_t need = (rec <= to_end ? rec : to_end + rec) + 8; /* + the next record's zeroed header */
    for (unsigned polls = 0; e->pos + need - e->cached > e->cap; polls++) {
        ring_publish(e); /* a consumer waiting for what is held back could never free space */
        e->cached = atomic_load_explicit(&e->ctl->head, memory_order_acquire);
        if (e->pos + need - e->cached > e->cap) {
            check_child(index);
            wait_a_little(polls);
        }
    }
    if (rec > to_end) {
        ring_put_header(e, idx, RING_PAD);
        e->pos += to_end;
        idx = 0;
    }
    ring_put_header(e, idx, len);
    return e->data + idx + HEADER;
}

/* Ends a record; publishes it (and any held back) unless `hold`. */
static void ring_commit(struct ring_end *e, uint32_t len, int hold) {
    e->pos += record_bytes(len);
    if (!hold) {
        ring_publish(e);
    }
}

static void publish_head(struct ring_end *e) {
    e->published = e->pos;
    atomic_store_explicit(&e->ctl->head, e->pos, memory_order_release);
}

/* Waits until the header at the consumer's position is non-zero, and returns it. */
static uint32_t ring_wait(struct ring_end *e, unsigned long long index) {
    _Atomic uint32_t *h = ring_header(e, e->pos & (e->cap - 1));
    uint64_t spin_from = 0;
    if (e->published != e->pos) {
        publish_head(e);
    }
    for (unsigned polls = 0;; polls++) {
        uint32_t len = atomic_load_explicit(h, memory_order_acquire);
        if (len != 0) {
            return len;
        }
        check_child(index);
        if (!e->futex || (g_spin_ns > 0 && (polls & 63) != 63)) {
            wait_a_little(polls);
            continue;
        }
        uint64_t t = now_ns();
        if (spin_from == 0) {
            spin_from = t;
        }
        if (t - spin_from < g_spin_ns) {
            continue;
        }
        atomic_store(&e->ctl->waiting, 1);
        len = atomic_load(h);
        if (len != 0) {
            atomic_store_explicit(&e->ctl->waiting, 0, memory_order_relaxed);
            return len;
        }
        atomic_fetch_add_explicit(&e->ctl->waits, 1, memory_order_relaxed);
        /* The time-out only lets the parent notice a dead child; a wake normally comes first. */
        struct timespec timeout = {0, FUTEX_TIMEOUT_NS};
        if (syscall(SYS_futex, (uint32_t *) &e->ctl->waiting, FUTEX_WAIT, 1, &timeout, NULL, 0) < 0
                && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
            die_errno("message %llu: futex wait", index);
        }
    }
}

/* Returns the next record's payload, valid until ring_release. */
static const uint8_t *ring_peek(struct ring_end *e, uint32_t *len, unsigned long long index) {
    for (;;) {
        uint64_t idx = e->pos & (e->cap - 1);
        *len = atomic_load_explicit(ring_header(e, idx), memory_order_acquire);
        if (*len == 0) {
            *len = ring_wait(e, index);
        }
        if (*len != RING_PAD) {
            return e->data + idx + HEADER;
        }
        e->pos += e->cap - idx;
    }
}

/* Frees space in eighths of the ring, or whenever the ring runs dry (ring_wait): a head stored
 * for every record would pull its cache line away from a producer polling it on a full ring. */
static void ring_release(struct ring_end *e, uint32_t len) {
    e->pos += record_bytes(len);
    if (e->pos - e->published >= e->cap / 8) {
        publish_head(e);
    }
}

/* ---- one process's two directions ----------------------------------------------------- */

struct endpoint {
    enum kind kind;
    int out_fd;
    struct reader in;
    uint8_t *frame;       /* streams: [header][payload], or a whole batch of them */
    uint32_t batch;       /* frames in `frame` */
    int q_out, q_in;
    struct qmsg *m_out, *m_in;
    size_t m_cap;
    struct ring_end r_out, r_in;
};

static void endpoint_buffers(struct endpoint *ep) {
    size_t frame_bytes = HEADER + g_size;
    ep->batch = 1;
    if (ep->kind == STREAM && g_mode == BATCHED && frame_bytes <= BATCH_BYTES) {
        ep->batch = BATCH_BYTES / frame_bytes;
    } else if (ep->kind == RING && g_mode == BATCHED && record_bytes(g_size) <= BATCH_BYTES) {
        ep->batch = BATCH_BYTES / record_bytes(g_size);
    }
    ep->in.cap = 2 * (frame_bytes > BATCH_BYTES ? frame_bytes : BATCH_BYTES);
    ep->in.buf = malloc(ep->in.cap);
    ep->frame = malloc(frame_bytes * (ep->kind == STREAM ? ep->batch : 1));
    ep->m_cap = g_size;
    ep->m_out = malloc(sizeof(struct qmsg) + ep->m_cap);
    ep->m_in = malloc(sizeof(struct qmsg) + ep->m_cap);
    if (ep->in.buf == NULL || ep->frame == NULL || ep->m_out == NULL || ep->m_in == NULL) {
        die("cannot allocate buffers for size %u", g_size);
    }
    for (uint32_t i = 0; i < (ep->kind == STREAM ? ep->batch : 1); i++) {
        put_be32(ep->frame + i * frame_bytes, g_size);
        memcpy(ep->frame + i * frame_bytes + HEADER, g_template, g_size);
    }
    memcpy(ep->m_out->text, g_template, g_size);
}

/* Sends messages first .. first+n-1: streams up to `batch` frames per write, the others one by one. */
static void send_messages(struct endpoint *ep, unsigned long long first, unsigned long long n) {
    size_t frame_bytes = HEADER + g_size;
    for (unsigned long long i = first; i < first + n;) {
        switch (ep->kind) {
        case STREAM: {
            unsigned long long k = first + n - i < ep->batch ? first + n - i : ep->batch;
            for (unsigned long long j = 0; j < k; j++) {
                stamp(ep->frame + j * frame_bytes + HEADER, i + j);
            }
            write_all(ep->out_fd, ep->frame, k * frame_bytes, i);
            for (unsigned long long j = 0; j < k; j++) {
                unstamp(ep->frame + j * frame_bytes + HEADER, i + j);
            }
            i += k;
            break;
        }
        case SYSV:
            stamp(ep->m_out->text, i);
            q_send(ep->q_out, ep->m_out, g_size, i);
            unstamp(ep->m_out->text, i);
            i++;
            break;
        case RING: {
            uint8_t *p = ring_claim(&ep->r_out, g_size, i);
            memcpy(p, g_template, g_size);
            stamp(p, i);
            i++;
            /* batched: one publication per `batch` records, and for the last of the call */
            ring_commit(&ep->r_out, g_size, (i - first) % ep->batch != 0 && i < first + n);
            break;
        }
        }
    }
}

/* Receives the next message, of `expected` bytes for streams; valid until done_with(). */
static const uint8_t *receive(struct endpoint *ep, uint32_t expected, uint32_t *len,
        unsigned long long index) {
    switch (ep->kind) {
    case STREAM:
        *len = expected;
        return next_frame(&ep->in, expected, index);
    case SYSV:
        *len = q_recv(ep->q_in, ep->m_in, ep->m_cap, index);
        return ep->m_in->text;
    case RING:
        return ring_peek(&ep->r_in, len, index);
    }
    return NULL;
}

static void done_with(struct endpoint *ep, uint32_t len) {
    if (ep->kind == RING) {
        ring_release(&ep->r_in, len);
    }
}

/* Sends back what receive() just returned, whole. */
static void echo(struct endpoint *ep, const uint8_t *p, uint32_t len, unsigned long long index) {
    switch (ep->kind) {
    case STREAM:
        write_all(ep->out_fd, p - HEADER, HEADER + len, index);
        break;
    case SYSV:
        q_send(ep->q_out, ep->m_in, len, index);
        break;
    case RING: {
        uint8_t *q = ring_claim(&ep->r_out, len, index);
        memcpy(q, p, len);
        ring_commit(&ep->r_out, len, 0);
        break;
    }
    }
}

static void send_ack(struct endpoint *ep, unsigned long long received, unsigned long long index) {
    uint8_t ack[HEADER + 4];
    put_be32(ack, 4);
    put_be32(ack + HEADER, (uint32_t) received);
    switch (ep->kind) {
    case STREAM:
        write_all(ep->out_fd, ack, sizeof ack, index);
        break;
    case SYSV: {
        struct qmsg *m = ep->m_in; /* free now, and at least 8 bytes */
        memcpy(m->text, ack + HEADER, 4);
        q_send(ep->q_out, m, 4, index);
        break;
    }
    case RING:
        memcpy(ring_claim(&ep->r_out, 4, index), ack + HEADER, 4);
        ring_commit(&ep->r_out, 4, 0);
        break;
    }
}

static void wait_ack(struct endpoint *ep, unsigned long long expected, unsigned long long index) {
    uint32_t len;
    const uint8_t *p = receive(ep, 4, &len, index);
    if (len != 4 || get_be32(p) != (uint32_t) expected) {
        die("ack after message %llu: %u bytes saying %u (expected 4 bytes saying %u)", index, len,
            len >= 4 ? get_be32(p) : 0, (uint32_t) expected);
    }
    done_with(ep, len);
}

/* ---- the two roles -------------------------------------------------------------------- */

static void child_role(struct endpoint *ep) {
    unsigned long long total = g_warmup + g_count;
    uint32_t len;
    if (g_mode == PINGPONG) {
        for (unsigned long long i = 0; i < total; i++) {
            const uint8_t *p = receive(ep, g_size, &len, i);
            verify(p, len, i, 0);
            echo(ep, p, len, i);
            done_with(ep, len);
        }
        return;
    }
    unsigned long long phases[2] = {g_warmup, g_count}, i = 0;
    for (int ph = 0; ph < 2; ph++) {
        if (phases[ph] == 0) {
            continue;
        }
        for (unsigned long long end = i + phases[ph]; i < end; i++) {
            const uint8_t *p = receive(ep, g_size, &len, i);
            verify(p, len, i, 1);
            done_with(ep, len);
        }
        send_ack(ep, phases[ph], i);
    }
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return (x > y) - (x < y);
}

static uint64_t percentile(const uint64_t *sorted, unsigned long long n, unsigned per_mille) {
    unsigned long long rank = (n * per_mille + 999) / 1000;
    return sorted[rank == 0 ? 0 : rank - 1];
}

/* Round trips: appends the latency percentiles to out. */
static void parent_pingpong(struct endpoint *ep, char *out, size_t cap) {
    uint64_t *rtt = g_count > SIZE_MAX / sizeof *rtt ? NULL : malloc(g_count * sizeof *rtt);
    if (rtt == NULL) {
        die("count %llu: cannot allocate room for that many latencies", g_count);
    }
    uint32_t len;
    for (unsigned long long i = 0; i < g_warmup + g_count; i++) {
        uint64_t t0 = now_ns();
        send_messages(ep, i, 1);
        const uint8_t *p = receive(ep, g_size, &len, i);
        uint64_t t1 = now_ns();
        verify(p, len, i, 1);
        done_with(ep, len);
        if (i >= g_warmup) {
            rtt[i - g_warmup] = t1 - t0;
        }
    }
    uint64_t sum = 0;
    for (unsigned long long i = 0; i < g_count; i++) {
        sum += rtt[i];
    }
    qsort(rtt, g_count, sizeof *rtt, compare_u64);
    snprintf(out, cap, " p50_ns=%llu p90_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu min_ns=%llu mean_ns=%llu",
             (unsigned long long) percentile(rtt, g_count, 500),
             (unsigned long long) percentile(rtt, g_count, 900),
             (unsigned long long) percentile(rtt, g_count, 990),
             (unsigned long long) percentile(rtt, g_count, 999),
             (unsigned long long) rtt[g_count - 1], (unsigned long long) rtt[0],
             (unsigned long long) (sum / g_count));
    free(rtt);
}

/* How often this process lost its CPU to another while it could have run: a run with many was
 * disturbed by a neighbour, which matters more to a spinning ring than to a blocking socket. */
static long involuntary_switches(void) {
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_nivcsw : 0;
}

/* Runs the parent's side and writes the figures (without a newline) into out. */
static void parent_role(struct endpoint *ep, char *out, size_t cap) {
    int n = snprintf(out, cap, "mech=%s mode=%s size=%u count=%llu warmup=%llu", g_mech, MODES[g_mode],
                     g_size, g_count, g_warmup);
    if (g_mode == PINGPONG) {
        parent_pingpong(ep, out + n, cap - (size_t) n);
        return;
    }
    if (g_warmup > 0) {
        send_messages(ep, 0, g_warmup);
        wait_ack(ep, g_warmup, g_warmup);
    }
    long preempted = involuntary_switches();
    uint64_t t0 = now_ns();
    send_messages(ep, g_warmup, g_count);
    wait_ack(ep, g_count, g_warmup + g_count);
    uint64_t nanos = now_ns() - t0;
    preempted = involuntary_switches() - preempted;
    double per_s = nanos == 0 ? 0 : g_count * 1e9 / (double) nanos;
    n += snprintf(out + n, cap - (size_t) n, " nanos=%llu msgs_per_s=%.0f mb_per_s=%.1f preempted=%ld",
                  (unsigned long long) nanos, per_s, per_s * g_size / 1e6, preempted);
    if (g_mode == BATCHED && ep->kind == SYSV) {
        snprintf(out + n, cap - (size_t) n, " batched=same-as-throughput");
    } else if (g_mode == BATCHED && ep->kind == RING) {
        snprintf(out + n, cap - (size_t) n, " records_per_publication=%u", ep->batch);
    } else if (g_mode == BATCHED) {
        snprintf(out + n, cap - (size_t) n, " frames_per_write=%u", ep->batch);
    }
}

/* ---- set-up --------------------------------------------------------------------------- */

static unsigned long long parse_number(const char *name, const char *text) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
        die("%s '%s' is not a non-negative integer", name, text);
    }
    return v;
}

static enum kind kind_of(const char *mech) {
    if (strncmp(mech, "shm", 3) == 0) {
        return RING;
    }
    return strcmp(mech, "sysv") == 0 ? SYSV : STREAM;
}

static void choose_cpus(void) {
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE && n < 2; c++) {
            if (CPU_ISSET(c, &set)) {
                g_cpu[n++] = c;
            }
        }
    }
    if (n < 2) {
        g_cpu[0] = g_cpu[1] = -1;
        g_single_cpu = 1;
    }
}

static void pin(int cpu) {
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        (void) sched_setaffinity(0, sizeof set, &set); /* best effort: a failure only adds noise */
    }
}

static void on(int sig, void (*handler)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags; /* no SA_RESTART: a blocked call must return when the child dies */
    sigfillset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void make_fifos(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/conduit-baseline-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        die_errno("mkdtemp %s", g_dir);
    }
    g_dir_made = 1;
    for (int i = 0; i < 2; i++) {
        snprintf(g_fifo[i], sizeof g_fifo[i], "%s/%s", g_dir, i == 0 ? "p2c" : "c2p");
        if (mkfifo(g_fifo[i], 0600) < 0) {
            die_errno("mkfifo %s", g_fifo[i]);
        }
        g_fifo_made[i] = 1;
    }
}

static int open_fifo(int i, int flags) {
    for (;;) {
        int fd = open(g_fifo[i], flags);
        if (!g_is_child && g_child_exited) {
            peer_gone("opening the FIFOs", 0);
        }
        if (fd >= 0) {
            return fd;
        }
        if (errno != EINTR) {
            die_errno("open %s", g_fifo[i]);
        }
    }
}

/* Both sides open p2c first, then c2p, so neither waits on the other in a cycle. When the
 * parent's opens return, the child's have too, and the parent unlinks both: from then on
 * nothing is left on disk whatever happens. */
static void open_fifos(int fds[2]) {
    if (g_is_child) {
        fds[0] = open_fifo(0, O_RDONLY);
        fds[1] = open_fifo(1, O_WRONLY);
    } else {
        fds[1] = open_fifo(0, O_WRONLY);
        fds[0] = open_fifo(1, O_RDONLY);
    }
    if (!g_is_child) {
        remove_resources();
    }
}

static void make_queues(void) {
    check_sysv_limits();
    for (int i = 0; i < 2; i++) {
        g_queue[i] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        if (g_queue[i] < 0) {
            die_errno("msgget%s", "");
        }
        g_queue_id[i] = g_queue[i];
    }
}

static void make_rings(struct ring *rings[2], uint8_t *data[2]) {
    uint64_t cap = RING_MIN_BYTES;
    while (cap < 4 * record_bytes(g_size)) {
        cap *= 2;
    }
    g_ring_cap = cap;
    size_t one = RING_DATA_OFFSET + cap;
    uint8_t *m = mmap(NULL, 2 * one, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) {
        die_errno("mmap of %zu bytes", 2 * one);
    }
    for (int i = 0; i < 2; i++) {
        rings[i] = (struct ring *) (void *) (m + i * one);
        data[i] = m + i * one + RING_DATA_OFFSET;
    }
}

static void parse_args(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: conduit_baseline MECH MODE SIZE COUNT WARMUP\n"
                "  MECH: uds | pipe | fifo | sysv | shm | shm-futex\n"
                "  MODE: pingpong | throughput | batched\n"
                "  SIZE: payload bytes, %u..%u; COUNT >= 1 measured; WARMUP >= 0 not measured\n",
                MIN_SIZE, MAX_SIZE);
        exit(2);
    }
    int mode = -1;
    for (int i = 0; i < 6; i++) {
        g_mech = strcmp(argv[1], MECHS[i]) == 0 ? MECHS[i] : g_mech;
    }
    for (int i = 0; i < 3; i++) {
        mode = strcmp(argv[2], MODES[i]) == 0 ? i : mode;
    }
    if (g_mech == NULL) {
        fprintf(stderr, "conduit_baseline: unknown mechanism '%s' (expected uds, pipe, fifo, sysv, shm or "
                "shm-futex)\n", argv[1]);
        exit(2);
    }
    if (mode < 0) {
        fprintf(stderr, "conduit_baseline: unknown mode '%s' (expected pingpong, throughput or batched)\n",
                argv[2]);
        exit(2);
    }
    g_mode = (enum mode) mode;
    unsigned long long size = parse_number("size", argv[3]);
    g_count = parse_number("count", argv[4]);
    g_warmup = parse_number("warmup", argv[5]);
    if (size < MIN_SIZE || size > MAX_SIZE) {
        die("size %llu out of range (expected %u..%u)", size, MIN_SIZE, MAX_SIZE);
    }
    g_size = (uint32_t) size;
    if (g_count < 1 || g_warmup > ULLONG_MAX - g_count) {
        die("count %llu, warmup %llu (expected count >= 1)", g_count, g_warmup);
    }
    const char *corrupt = getenv("CONDUIT_BASELINE_CORRUPT");
    if (corrupt != NULL) {
        g_corrupt = parse_number("CONDUIT_BASELINE_CORRUPT", corrupt);
    }
    const char *spin = getenv("CONDUIT_BASELINE_SPIN_NS");
    if (spin != NULL) {
        g_spin_ns = parse_number("CONDUIT_BASELINE_SPIN_NS", spin);
    }
}

/* What is made before fork() and shared by both processes. */
struct shared {
    int sv[2], p2c[2], c2p[2], ctl[2];
    struct ring *rings[2];
    uint8_t *data[2];
};

static void make_shared(struct shared *sh, enum kind kind) {
    if (strcmp(g_mech, "uds") == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sh->sv) < 0) {
        die_errno("socketpair%s", "");
    } else if (strcmp(g_mech, "pipe") == 0 && (pipe(sh->p2c) < 0 || pipe(sh->c2p) < 0)) {
        die_errno("pipe%s", "");
    } else if (strcmp(g_mech, "fifo") == 0) {
        make_fifos();
    } else if (kind == SYSV) {
        make_queues();
    } else if (kind == RING) {
        make_rings(sh->rings, sh->data);
    }
    if (pipe(sh->ctl) < 0) {
        die_errno("pipe%s", "");
    }
}

/* Forks; returns in both processes, with 1 in the child. */
static int fork_child(struct shared *sh) {
    sigset_t all, old;
    sigfillset(&all);
    fflush(NULL);
    sigprocmask(SIG_BLOCK, &all, &old); /* no handler may run in the child with the parent's state */
    pid_t parent_pid = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        die_errno("fork%s", "");
    }
    if (pid == 0) {
        g_is_child = 1;
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (getppid() != parent_pid) {
            _exit(1);
        }
        close(sh->ctl[1]);
        pin(g_cpu[1]);
        return 1;
    }
    g_child = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(sh->ctl[0]);
    pin(g_cpu[0]);
    return 0;
}

static void connect_endpoint(struct endpoint *ep, struct shared *sh, int is_child) {
    endpoint_buffers(ep);
    if (strcmp(g_mech, "uds") == 0) {
        ep->in.fd = ep->out_fd = sh->sv[is_child];
        close(sh->sv[!is_child]);
    } else if (strcmp(g_mech, "pipe") == 0) {
        ep->in.fd = is_child ? sh->p2c[0] : sh->c2p[0];
        ep->out_fd = is_child ? sh->c2p[1] : sh->p2c[1];
        close(is_child ? sh->p2c[1] : sh->c2p[1]);
        close(is_child ? sh->c2p[0] : sh->p2c[0]);
    } else if (strcmp(g_mech, "fifo") == 0) {
        int fds[2];
        open_fifos(fds);
        ep->in.fd = fds[0];
        ep->out_fd = fds[1];
    } else if (ep->kind == SYSV) {
        ep->q_out = g_queue_id[is_child];
        ep->q_in = g_queue_id[!is_child];
    } else if (ep->kind == RING) {
        int futex = strcmp(g_mech, "shm-futex") == 0;
        struct ring_end out = {.ctl = sh->rings[is_child], .data = sh->data[is_child], .cap = g_ring_cap,
                               .futex = futex};
        struct ring_end in = {.ctl = sh->rings[!is_child], .data = sh->data[!is_child], .cap = g_ring_cap,
                              .futex = futex};
        ep->r_out = out;
        ep->r_in = in;
    }
}

/* Lets the child go, checks that it exited 0, and appends what the run used to the line. */
static void finish(struct shared *sh, enum kind kind, char *line, size_t cap) {
    g_finishing = 1;
    close(sh->ctl[1]);
    int status;
    struct rusage child_usage;
    memset(&child_usage, 0, sizeof child_usage);
    while (wait4(g_child, &status, 0, &child_usage) < 0) {
        if (errno != EINTR) {
            die_errno("waitpid%s", "");
        }
    }
    g_child = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        die("child process ended with status 0x%x after the run", (unsigned) status);
    }
    remove_resources();
    size_t n = strlen(line);
    n += (size_t) snprintf(line + n, cap - n, " child_preempted=%ld", child_usage.ru_nivcsw);
    if (g_cpu[0] >= 0) {
        n += (size_t) snprintf(line + n, cap - n, " cpus=%d,%d", g_cpu[0], g_cpu[1]);
    } else {
        n += (size_t) snprintf(line + n, cap - n, " cpus=unpinned");
    }
    if (kind == RING) {
        n += (size_t) snprintf(line + n, cap - n, " ring_bytes=%llu", (unsigned long long) g_ring_cap);
    }
    if (strcmp(g_mech, "shm-futex") == 0) {
        n += (size_t) snprintf(line + n, cap - n, " futex_waits=%llu futex_wakes=%llu",
                               (unsigned long long) (sh->rings[0]->waits + sh->rings[1]->waits),
                               (unsigned long long) (sh->rings[0]->wakes + sh->rings[1]->wakes));
    }
    if (kind == SYSV) {
        n += (size_t) snprintf(line + n, cap - n, " sysv_queues=%d,%d", g_queue_id[0], g_queue_id[1]);
    }
    if (strcmp(g_mech, "fifo") == 0) {
        snprintf(line + n, cap - n, " fifo_dir=%s", g_dir);
    }
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    on(SIGTERM, on_terminate, 0);
    on(SIGINT, on_terminate, 0);
    on(SIGHUP, on_terminate, 0);
    on(SIGCHLD, on_child_exit, SA_NOCLDSTOP);
    signal(SIGPIPE, SIG_IGN);
    make_template();
    choose_cpus();

    struct shared sh;
    struct endpoint ep;
    memset(&sh, 0, sizeof sh);
    memset(&ep, 0, sizeof ep);
    ep.kind = kind_of(g_mech);
    make_shared(&sh, ep.kind);
    int is_child = fork_child(&sh);
    connect_endpoint(&ep, &sh, is_child);
    if (is_child) {
        child_role(&ep);
        char c;
        while (read(sh.ctl[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    char line[1024];
    parent_role(&ep, line, sizeof line);
    finish(&sh, ep.kind, line, sizeof line);
    puts(line);
    return fflush(stdout) == 0 ? 0 : 1;
}
