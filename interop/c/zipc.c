/*
 * ZIPC's queue, written from docs/zipc.md (the layout of ZIPC's current revision, with the
 * waiters counter at offset 68). Differences from ZIPC's own code, on purpose:
 *  - zipc_send claims the slot before writing and drops, untouched, a message that does not fit
 *    or finds the queue full (ZIPC's older revisions wrote into the slot the receiver held);
 *  - zipc_receive leaves *message NULL when there is no message, and points it into the slot
 *    for a message of any length, so 0 with a pointer is an empty message;
 *  - failures print a line and exit(2) instead of asserting.
 */
#define _GNU_SOURCE
#include "zipc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZIPC_MAGIC 0x5A495043

struct ZipcQueue {
    uint32_t head;
    uint8_t padding1[60];
    uint32_t tail;
    uint32_t waiters;
    uint8_t padding2[56];
};

_Static_assert(sizeof(struct ZipcQueue) == 128, "queue header is 128 bytes");

unsigned long zipc_futex_wakeups;

static void die(const char *call, const char *name) {
    fprintf(stderr, "zipc: %s(%s): %s\n", call, name, strerror(errno));
    exit(2);
}

static size_t flag_offset(uint32_t q, uint32_t m) {
    return (128 + 8 * (size_t)q + (size_t)q * m + 3) & ~(size_t)3;
}

static uint64_t *lengths(const ZipcContext *c) {
    return (uint64_t *)((char *)c->queue + 128);
}

static ZipcContext attach(const char *name, uint32_t q, uint32_t m, uint8_t mode) {
    if (name[0] != '/' || strlen(name) > 39) {
        errno = EINVAL;
        die("name", name);
    }
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd < 0) {
        die("shm_open", name);
    }
    size_t size = flag_offset(q, m) + 4;
    if (ftruncate(fd, (off_t)size) != 0) {
        die("ftruncate", name);
    }
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) {
        die("mmap", name);
    }
    close(fd);
    ZipcContext c;
    memset(&c, 0, sizeof c);
    c.id = ((uint64_t)time(NULL) << 16) | (uint64_t)getpid();
    c.mode = mode;
    strcpy(c.name, name);
    c.params.message_size = m;
    c.params.queue_size = q;
    c.queue = memory;
    c.buffers = (char *)memory + 128 + 8 * (size_t)q;
    c.init_flag = (int32_t *)((char *)memory + flag_offset(q, m));
    return c;
}

ZipcContext zipc_create_sender(const char *name, uint32_t queue_size, uint32_t message_size) {
    ZipcContext c = attach(name, queue_size, message_size, ZIPC_MODE_SERVER);
    if (__atomic_load_n(c.init_flag, __ATOMIC_ACQUIRE) != ZIPC_MAGIC) {
        __atomic_store_n(&c.queue->head, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&c.queue->tail, 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(c.init_flag, ZIPC_MAGIC, __ATOMIC_RELEASE);
    }
    return c;
}

ZipcContext zipc_create_receiver(const char *name, uint32_t queue_size, uint32_t message_size) {
    return attach(name, queue_size, message_size, ZIPC_MODE_CLIENT);
}

uint32_t zipc_free_slots(const ZipcContext *s) {
    uint32_t q = s->params.queue_size;
    uint32_t head = __atomic_load_n(&s->queue->head, __ATOMIC_ACQUIRE);
    uint32_t tail = s->queue->tail;
    return q - 1 - (tail + q - head) % q;
}

void zipc_send(ZipcContext *s, const uint8_t *message, size_t message_size) {
    uint32_t q = s->params.queue_size;
    if (message_size > s->params.message_size) {
        return;
    }
    uint32_t tail = s->queue->tail; /* owned by the producer */
    uint32_t next = (tail + 1) % q;
    if (next == __atomic_load_n(&s->queue->head, __ATOMIC_ACQUIRE)) {
        return; /* full: dropped, as ZIPC drops, but nothing was written */
    }
    memcpy((char *)s->buffers + (size_t)tail * s->params.message_size, message, message_size);
    lengths(s)[tail] = message_size;
    __atomic_store_n(&s->queue->tail, next, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s->queue->waiters, __ATOMIC_SEQ_CST) != 0) {
        syscall(SYS_futex, &s->queue->tail, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
}

uint32_t zipc_receive(ZipcContext *r, uint8_t **message) {
    uint32_t q = r->params.queue_size;
    uint32_t tail = __atomic_load_n(&r->queue->tail, __ATOMIC_ACQUIRE);
    uint32_t head = r->queue->head; /* owned by the consumer */
    if (head == tail) {
        *message = NULL;
        return 0;
    }
    uint64_t length = lengths(r)[head];
    if (length > r->params.message_size) {
        length = r->params.message_size;
    }
    *message = (uint8_t *)r->buffers + (size_t)head * r->params.message_size;
    /* The slot stays the receiver's until the next call: the sender keeps one slot free. */
    __atomic_store_n(&r->queue->head, (head + 1) % q, __ATOMIC_RELEASE);
    return (uint32_t)length;
}

static uint64_t now_nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint32_t zipc_receive_blocking(ZipcContext *r, uint8_t **message, uint16_t timeout_millis) {
    uint64_t deadline = now_nanos() + (uint64_t)(timeout_millis % 1000) * 1000000u;
    while (1) {
        uint32_t length = zipc_receive(r, message);
        if (*message != NULL) {
            return length;
        }
        uint64_t now = now_nanos();
        if (now >= deadline) {
            return 0;
        }
        uint32_t seen = __atomic_load_n(&r->queue->tail, __ATOMIC_ACQUIRE);
        if (seen != r->queue->head) {
            continue;
        }
        struct timespec left = {(time_t)((deadline - now) / 1000000000u), (long)((deadline - now) % 1000000000u)};
        __atomic_fetch_add(&r->queue->waiters, 1, __ATOMIC_SEQ_CST);
        /* FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is in memory other processes map. */
        long rc = syscall(SYS_futex, &r->queue->tail, FUTEX_WAIT, seen, &left, NULL, 0);
        if (rc == 0) {
            zipc_futex_wakeups++;
        }
        uint32_t w = __atomic_load_n(&r->queue->waiters, __ATOMIC_SEQ_CST);
        while (w != 0 && !__atomic_compare_exchange_n(&r->queue->waiters, &w, w - 1, 0, __ATOMIC_SEQ_CST,
                                                      __ATOMIC_SEQ_CST)) {
        }
    }
}

void zipc_unlink(const char *name) {
    shm_unlink(name);
}

char *zipc_shm_path(const char *name) {
    static char path[64];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    return path;
}
