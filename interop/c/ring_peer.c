/*
 * ring_peer: an echo peer for Conduit's shm: transport, written in C against conduit_ring.h,
 * so that the ring layout and protocol are checked by code that shares nothing with the Java.
 *
 *   ring_peer NAME
 *
 * Connects to the Java listener shm:NAME through its handshake socket ($TMPDIR/conduit-shm-NAME,
 * or /tmp/conduit-shm-NAME if TMPDIR is unset or empty), maps the rings, and as the client
 * echoes every message it receives on ring 1 back on ring 0: a whole message straight from the
 * ring, a message in pieces once put together (and sent in pieces again). When idle it spins
 * briefly, then sleeps on the futex in slices of at most 50 ms, checking the socket between
 * them. It stops when the Java side closes (ring 1 closed by its producer and drained, ring 0
 * closed by its consumer) or its socket reaches end of file; it then closes its own side,
 * prints one line of counters on stdout and exits 0:
 *
 *   messages=N bytes=N consumer_sleeps=N consumer_woken=N producer_sleeps=N producer_woken=N
 *   woke_consumer=N woke_producer=N
 *
 * (messages and bytes echoed; futex sleeps of this peer as consumer of ring 1 and as producer
 * on ring 0, and how many of them a FUTEX_WAKE ended; Java threads this peer woke as consumer
 * of ring 0 and as producer on ring 1.) Errors go to stderr, prefixed "ring_peer:", with exit
 * status 1. Used by CRingInteropTest.
 *
 * Build: gcc -O2 -std=gnu11 -Wall -Wextra -Werror -o ring_peer ring_peer.c -lrt
 */
#define _GNU_SOURCE
#include "conduit_ring.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define HANDSHAKE_MILLIS 5000
/* The longest handshake frame this peer accepts. */
#define LINE_MAX_BYTES 1024
/* Pause instructions before a futex sleep: some microseconds to some tens of them. */
#define SPIN_ROUNDS 2048
/* The longest message this peer puts together, as a Java array could hold it. */
#define MESSAGE_MAX_BYTES ((uint64_t) INT32_MAX - 16)

struct stats {
    unsigned long long messages, bytes;
    unsigned long long consumer_sleeps, consumer_woken, producer_sleeps, producer_woken;
};

struct peer {
    int sock;
    void *map;
    size_t map_bytes;
    struct cr_consumer in;  /* ring 1: the Java side's messages */
    struct cr_producer out; /* ring 0: the echoes */
    unsigned char *large;   /* a message in pieces being put together */
    uint64_t large_total, large_filled;
    struct stats stats;
};

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("ring_peer: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* ---- the handshake: Conduit frames (4-byte big-endian length, payload) on the socket ---- */

static int connect_socket(const char *name) {
    const char *tmp = getenv("TMPDIR");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s%s", tmp != NULL && *tmp != '\0' ? tmp : "/tmp",
            CR_SOCKET_PREFIX, name);
    if (n < 0 || (size_t) n >= sizeof addr.sun_path) {
        die("the socket path for shm:%s is longer than %zu bytes", name, sizeof addr.sun_path - 1);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket(AF_UNIX): %s", strerror(errno));
    }
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        die("connect %s: %s (is a Java listener on shm:%s?)", addr.sun_path, strerror(errno), name);
    }
    return fd;
}

static void send_line(int fd, const char *text) {
    size_t length = strlen(text);
    unsigned char frame[4 + LINE_MAX_BYTES];
    uint32_t header = htonl((uint32_t) length);
    if (length > LINE_MAX_BYTES) {
        die("handshake: a line of %zu bytes is too long to send", length);
    }
    memcpy(frame, &header, 4);
    memcpy(frame + 4, text, length);
    for (size_t sent = 0; sent < 4 + length;) {
        ssize_t n = send(fd, frame + sent, 4 + length - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR) {
            die("handshake: send: %s", strerror(errno));
        }
        sent += n > 0 ? (size_t) n : 0;
    }
}

static void read_exactly(int fd, void *buffer, size_t count) {
    for (size_t got = 0; got < count;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, HANDSHAKE_MILLIS);
        if (ready == 0) {
            die("handshake: no answer from the listener within %d ms", HANDSHAKE_MILLIS);
        }
        ssize_t n = ready < 0 ? -1 : recv(fd, (char *) buffer + got, count - got, 0);
        if (n == 0) {
            die("handshake: the listener closed the socket");
        }
        if (n < 0 && errno != EINTR) {
            die("handshake: receive: %s", strerror(errno));
        }
        got += n > 0 ? (size_t) n : 0;
    }
}

/* Receives one frame as a NUL-terminated line of at most LINE_MAX_BYTES - 1 bytes. */
static void receive_line(int fd, char line[LINE_MAX_BYTES]) {
    uint32_t header;
    read_exactly(fd, &header, 4);
    uint32_t length = ntohl(header);
    if (length >= LINE_MAX_BYTES) {
        die("handshake: the listener sent a frame of %u bytes, more than a handshake line", length);
    }
    read_exactly(fd, line, length);
    line[length] = '\0';
}

/* Maps the object `ring` names and checks its header; returns NULL, or what went wrong in `why`. */
static const char *map_rings(struct peer *pr, const char *ring, char *why, size_t why_bytes) {
    struct stat st;
    uint64_t capacity;
    int fd = shm_open(ring, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(why, why_bytes, "%s(\"%.255s\"): %s", fd < 0 ? "shm_open" : "fstat", ring, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return why;
    }
    void *map = mmap(NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd);
    if (map == MAP_FAILED) {
        snprintf(why, why_bytes, "mmap(%.255s, %lld bytes): %s", ring, (long long) st.st_size, strerror(saved));
        return why;
    }
    const char *bad = cr_check_header(map, (uint64_t) st.st_size, &capacity);
    if (bad != NULL) {
        munmap(map, (size_t) st.st_size);
        snprintf(why, why_bytes, "shared memory %.255s (%lld bytes): %s", ring, (long long) st.st_size, bad);
        return why;
    }
    pr->map = map;
    pr->map_bytes = (size_t) st.st_size;
    cr_settle_flags(map);
    cr_consumer_init(&pr->in, cr_ring_at(map, capacity, 1));
    cr_producer_init(&pr->out, cr_ring_at(map, capacity, 0));
    return NULL;
}

static void handshake(struct peer *pr, const char *name) {
    char line[LINE_MAX_BYTES], why[LINE_MAX_BYTES - sizeof CR_ERROR], refusal[LINE_MAX_BYTES];
    pr->sock = connect_socket(name);
    send_line(pr->sock, CR_HELLO);
    receive_line(pr->sock, line);
    if (strncmp(line, CR_ERROR, strlen(CR_ERROR)) == 0) {
        die("the listener refused: %s", line + strlen(CR_ERROR));
    }
    if (strncmp(line, CR_RING_ANSWER, strlen(CR_RING_ANSWER)) != 0) {
        die("the listener answered '%s', expected '%s/conduit-...'", line, CR_RING_ANSWER);
    }
    const char *ring = line + strlen(CR_RING_ANSWER);
    const char *problem = NULL;
    if (strncmp(ring, CR_NAME_PREFIX, strlen(CR_NAME_PREFIX)) != 0 || strchr(ring + 1, '/') != NULL
            || strlen(ring) > NAME_MAX) {
        problem = "not the name of a Conduit ring";
    } else {
        problem = map_rings(pr, ring, why, sizeof why);
    }
    if (problem != NULL) {
        snprintf(refusal, sizeof refusal, "%s%s", CR_ERROR, problem);
        send_line(pr->sock, refusal);
        die("ring %s: %s", ring, problem);
    }
    send_line(pr->sock, CR_MAPPED);
}

/* ---- waiting ------------------------------------------------------------------------------ */

/* Whether the Java side's end of the socket is closed. Nothing is sent on it after the handshake. */
static int socket_gone(struct peer *pr) {
    char scrap[256];
    for (;;) {
        ssize_t n = recv(pr->sock, scrap, sizeof scrap, MSG_DONTWAIT);
        if (n == 0) {
            return 1;
        }
        if (n < 0 && errno != EINTR) {
            return errno != EAGAIN && errno != EWOULDBLOCK;
        }
    }
}

/* Spins while `position` holds `seen`; returns whether it moved. */
static int spin_until_moved(_Atomic uint64_t *position, uint64_t seen) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(position, memory_order_acquire) != seen) {
            return 1;
        }
        cr_cpu_relax();
    }
    return 0;
}

static void count_sleep(enum cr_sleep result, unsigned long long *sleeps, unsigned long long *woken) {
    if (result == CR_SLEEP_FAILED) {
        die("futex wait: %s", strerror(errno));
    }
    *sleeps += result != CR_SLEEP_SKIPPED;
    *woken += result == CR_SLEEP_WOKEN;
}

/* cr_send's wait while ring 0 is full. Returns 1 once the Java side no longer takes messages. */
static int wait_for_room(struct cr_producer *out, void *arg) {
    struct peer *pr = arg;
    if (spin_until_moved(&out->ring.ctl->head, out->head_seen)) {
        return 0;
    }
    if (atomic_load_explicit(&out->ring.ctl->consumer_closed, memory_order_acquire) != 0 || socket_gone(pr)) {
        return 1;
    }
    count_sleep(cr_producer_sleep(out, CR_SLICE_NS), &pr->stats.producer_sleeps, &pr->stats.producer_woken);
    return 0;
}

/* Waits a little while ring 1 is empty. Returns 1 if the Java side's socket is closed. */
static int wait_for_data(struct peer *pr) {
    if (spin_until_moved(cr_next_header(&pr->in), 0)) {
        return 0;
    }
    if (socket_gone(pr)) {
        return 1;
    }
    count_sleep(cr_consumer_sleep(&pr->in, CR_SLICE_NS), &pr->stats.consumer_sleeps, &pr->stats.consumer_woken);
    return 0;
}

/* ---- echoing ------------------------------------------------------------------------------ */

/* Returns 1 if the Java side no longer takes messages. */
static int echo(struct peer *pr, const void *bytes, uint64_t length) {
    if (cr_send(&pr->out, bytes, length, wait_for_room, pr) != 0) {
        return 1;
    }
    pr->stats.messages++;
    pr->stats.bytes += length;
    return 0;
}

/* Adds a piece to the message being put together, and gives its record back at once. */
static void append(struct peer *pr, const struct cr_record *rec) {
    if (rec->kind == CR_FIRST) {
        if (pr->large != NULL || rec->total > MESSAGE_MAX_BYTES) {
            die("ring 1 is corrupt: a first piece %s", pr->large != NULL ? "inside another message" : "too long");
        }
        pr->large = malloc(rec->total > 0 ? rec->total : 1);
        if (pr->large == NULL) {
            die("no memory for a message of %llu bytes", (unsigned long long) rec->total);
        }
        pr->large_total = rec->total;
        pr->large_filled = 0;
    } else if (pr->large == NULL) {
        die("ring 1 is corrupt: a piece with no first piece before it");
    }
    if (rec->length > pr->large_total - pr->large_filled) {
        die("ring 1 is corrupt: pieces longer than the %llu bytes announced", (unsigned long long) pr->large_total);
    }
    memcpy(pr->large + pr->large_filled, rec->data, rec->length);
    pr->large_filled += rec->length;
    cr_consume(&pr->in, rec);
}

/* Handles the record at the head. Returns 1 if the Java side no longer takes messages. */
static int take(struct peer *pr, const struct cr_record *rec) {
    if (rec->kind == CR_MESSAGE) {
        if (pr->large != NULL) {
            die("ring 1 is corrupt: a whole message inside a message in pieces");
        }
        /* Echoed from the ring, which is given back only after: its bytes stay put until then. */
        int stop = echo(pr, rec->data, rec->length);
        cr_consume(&pr->in, rec);
        return stop;
    }
    append(pr, rec);
    if (rec->kind != CR_LAST) {
        return 0;
    }
    if (pr->large_filled != pr->large_total) {
        die("ring 1 is corrupt: a message of %llu bytes ended after %llu", (unsigned long long) pr->large_total,
                (unsigned long long) pr->large_filled);
    }
    int stop = echo(pr, pr->large, pr->large_total);
    free(pr->large);
    pr->large = NULL;
    return stop;
}

static void serve(struct peer *pr) {
    struct cr_record rec;
    const char *why;
    for (;;) {
        int got = cr_peek(&pr->in, &rec, &why);
        if (got < 0) {
            die("ring 1 is corrupt: %s", why);
        }
        if (got > 0) {
            if (take(pr, &rec)) {
                return;
            }
        } else if (cr_drained(&pr->in) || wait_for_data(pr)) {
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '\0' || strchr(argv[1], '/') != NULL) {
        fprintf(stderr, "usage: ring_peer NAME   (echoes every message of the Java listener shm:NAME)\n");
        return 1;
    }
    struct peer pr = {.sock = -1};
    handshake(&pr, argv[1]);
    serve(&pr);
    cr_close(&pr.out, &pr.in);
    close(pr.sock);
    munmap(pr.map, pr.map_bytes);
    free(pr.large);
    printf("messages=%llu bytes=%llu consumer_sleeps=%llu consumer_woken=%llu producer_sleeps=%llu "
           "producer_woken=%llu woke_consumer=%llu woke_producer=%llu\n",
            pr.stats.messages, pr.stats.bytes, pr.stats.consumer_sleeps, pr.stats.consumer_woken,
            pr.stats.producer_sleeps, pr.stats.producer_woken, (unsigned long long) pr.out.woke,
            (unsigned long long) pr.in.woke);
    return 0;
}
