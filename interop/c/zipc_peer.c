/*
 * A ZIPC program for Conduit's interop tests, on zipc.h. One line of output per event.
 *
 *   zipc_peer send NAME Q M [--hold] MSG...  send each MSG ("" is an empty message), waiting for
 *                                             room first (zipc_send would drop it on a full queue);
 *                                             prints "sent N full-waits K", then exits or, with
 *                                             --hold, sleeps until killed
 *   zipc_peer fill NAME Q M N                 send "m0".."m(N-1)" the same way
 *   zipc_peer recv NAME Q M N TIMEOUT_MS      print "ready", then take N messages, each with one
 *                                             zipc_receive_blocking(TIMEOUT_MS): "msg LEN TEXT",
 *                                             "empty" (length 0 with a pointer) or "timeout";
 *                                             then "woken K" (futex waits ended by a wake)
 */
#define _GNU_SOURCE
#include "zipc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long full_waits;

static void send_waiting(ZipcContext *s, const char *text) {
    if (zipc_free_slots(s) == 0) {
        full_waits++;
        struct timespec pause = {0, 100000};
        while (zipc_free_slots(s) == 0) {
            nanosleep(&pause, NULL);
        }
    }
    zipc_send(s, (const uint8_t *)text, strlen(text));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 5) {
        fprintf(stderr, "usage: zipc_peer send|fill|recv NAME Q M ...\n");
        return 2;
    }
    const char *name = argv[2];
    uint32_t q = (uint32_t)strtoul(argv[3], NULL, 10);
    uint32_t m = (uint32_t)strtoul(argv[4], NULL, 10);
    if (strcmp(argv[1], "send") == 0 || strcmp(argv[1], "fill") == 0) {
        ZipcContext s = zipc_create_sender(name, q, m);
        int hold = 0;
        unsigned long sent = 0;
        if (strcmp(argv[1], "fill") == 0) {
            unsigned long n = strtoul(argv[5], NULL, 10);
            char text[32];
            for (; sent < n; sent++) {
                snprintf(text, sizeof text, "m%lu", sent);
                send_waiting(&s, text);
            }
        } else {
            for (int i = 5; i < argc; i++) {
                if (strcmp(argv[i], "--hold") == 0) {
                    hold = 1;
                    continue;
                }
                send_waiting(&s, argv[i]);
                sent++;
            }
        }
        printf("sent %lu full-waits %lu\n", sent, full_waits);
        while (hold) {
            pause();
        }
        return 0;
    }
    if (strcmp(argv[1], "recv") == 0 && argc == 7) {
        ZipcContext r = zipc_create_receiver(name, q, m);
        unsigned long n = strtoul(argv[5], NULL, 10);
        uint16_t timeout = (uint16_t)strtoul(argv[6], NULL, 10);
        printf("ready %s\n", zipc_shm_path(name));
        for (unsigned long i = 0; i < n; i++) {
            uint8_t *message = NULL;
            uint32_t length = zipc_receive_blocking(&r, &message, timeout);
            if (message == NULL) {
                printf("timeout\n");
            } else if (length == 0) {
                printf("empty\n");
            } else {
                printf("msg %u %.*s\n", length, (int)length, (const char *)message);
            }
        }
        printf("woken %lu\n", zipc_futex_wakeups);
        return 0;
    }
    fprintf(stderr, "zipc_peer: unknown command %s\n", argv[1]);
    return 2;
}
