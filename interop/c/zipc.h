/*
 * ZIPC's C API as its README documents it (the seed: zipc_create_sender/receiver, zipc_send,
 * zipc_receive, zipc_receive_blocking, zipc_unlink, zipc_shm_path), implemented in zipc.c from
 * the layout in docs/zipc.md, for Conduit's interop tests. Not ZIPC's code: ZIPC is written in
 * Zig, which the test machines do not have.
 */
#ifndef CONDUIT_ZIPC_H
#define CONDUIT_ZIPC_H

#include <stddef.h>
#include <stdint.h>

#define ZIPC_MODE_SERVER 0
#define ZIPC_MODE_CLIENT 1

typedef struct ZipcQueue ZipcQueue;

typedef struct {
    uint32_t message_size; /* maximum size of each message in bytes */
    uint32_t queue_size;   /* number of message slots in the queue */
} ZipcParams;

typedef struct {
    uint64_t id;
    uint8_t mode;
    uint8_t padding[7];
    char name[40];
    ZipcParams params;
    ZipcQueue *queue;
    void *buffers;
    int32_t *init_flag;
} ZipcContext;

#ifdef __cplusplus
extern "C" {
#endif

ZipcContext zipc_create_sender(const char *name, uint32_t queue_size, uint32_t message_size);
ZipcContext zipc_create_receiver(const char *name, uint32_t queue_size, uint32_t message_size);
void zipc_send(ZipcContext *sender, const uint8_t *message, size_t message_size);
uint32_t zipc_receive(ZipcContext *receiver, uint8_t **message);
uint32_t zipc_receive_blocking(ZipcContext *receiver, uint8_t **message, uint16_t timeout_millis);
void zipc_unlink(const char *name);
char *zipc_shm_path(const char *name);

/* Not ZIPC's API: what the peer needs to keep its own promises and report what it saw. */
uint32_t zipc_free_slots(const ZipcContext *sender); /* messages that fit now */
extern unsigned long zipc_futex_wakeups;             /* FUTEX_WAITs ended by a FUTEX_WAKE */

#ifdef __cplusplus
}
#endif

#endif
