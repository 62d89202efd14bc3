/*
 * ipcez_peer: a peer that plays ipcez 0.1.0's local Linux protocol byte for byte, written from its
 * published behaviour (its README and source as ../../docs/ipcez.md cites them), sharing nothing
 * with Conduit's Java code. IpcezInteropTest compiles and runs it.
 *
 *   frame       u32 big-endian length, then that many payload bytes; at most 4 MiB
 *   semaphores  for the endpoint string E: S = E with '/', '\' and '.' turned into '_', cut to
 *               231 characters ("default" for an empty E); /ipcez_S_data_ready and
 *               /ipcez_S_data_acked, opened with O_CREAT, mode 0600, value 0
 *   sending     write the frame, post data_ready, wait up to 5 s for data_acked
 *   receiving   after each whole message read, post data_acked
 *
 * Usage:
 *   ipcez_peer client PATH N   connect to PATH; send N messages (message 0 empty, message 1 of
 *                              4 MiB), each waiting for its acknowledgement as ipcez does; then
 *                              read messages until end of file, acknowledging each
 *   ipcez_peer server PATH     listen on PATH, serve one client: acknowledge each message, then
 *                              echo it as an ipcez sender would, until end of file
 *   ipcez_peer silent PATH     listen on PATH, serve one client: read messages, never acknowledge
 *
 * Prints one line of counters on stdout and exits 0 if every acknowledgement came in time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE (4u << 20)
#define ACK_SECONDS 5
#define NAME_BASE_MAX 231

static sem_t *data_ready;
static sem_t *data_acked;
static long sent, acked, timeouts, received, received_bytes;
static unsigned long long checksum;

static void die(const char *what) {
    fprintf(stderr, "ipcez_peer: %s: %s\n", what, strerror(errno));
    exit(2);
}

static sem_t *open_semaphore(const char *endpoint, const char *suffix) {
    char base[NAME_BASE_MAX + 1];
    size_t n = strlen(endpoint);
    if (n == 0) {
        strcpy(base, "default");
    } else {
        if (n > NAME_BASE_MAX) {
            n = NAME_BASE_MAX;
        }
        for (size_t i = 0; i < n; i++) {
            char c = endpoint[i];
            base[i] = (c == '/' || c == '\\' || c == '.') ? '_' : c;
        }
        base[n] = '\0';
    }
    char name[300];
    snprintf(name, sizeof name, "/ipcez_%s_%s", base, suffix);
    sem_t *sem = sem_open(name, O_CREAT, 0600, 0);
    if (sem == SEM_FAILED) {
        die(name);
    }
    return sem;
}

static int wait_acked(void) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ACK_SECONDS;
    while (sem_timedwait(data_acked, &deadline) != 0) {
        if (errno == ETIMEDOUT) {
            return 0;
        }
        if (errno != EINTR) {
            die("sem_timedwait(data_acked)");
        }
    }
    return 1;
}

static void write_all(int fd, const unsigned char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("write");
        }
        bytes += n;
        length -= (size_t) n;
    }
}

/* 1 with all bytes read, 0 at end of file before the first byte. */
static int read_all(int fd, unsigned char *bytes, size_t length) {
    size_t got = 0;
    while (got < length) {
        ssize_t n = read(fd, bytes + got, length - got);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("read");
        }
        if (n == 0) {
            if (got == 0) {
                return 0;
            }
            fprintf(stderr, "ipcez_peer: end of file inside a frame\n");
            exit(2);
        }
        got += (size_t) n;
    }
    return 1;
}

/* ipcez's send_message: the frame, flushed; data_ready; up to 5 s for data_acked. */
static void send_message(int fd, const unsigned char *payload, uint32_t length) {
    unsigned char header[4] = {length >> 24, length >> 16, length >> 8, length};
    write_all(fd, header, 4);
    write_all(fd, payload, length);
    sent++;
    if (sem_post(data_ready) != 0) {
        die("sem_post(data_ready)");
    }
    if (wait_acked()) {
        acked++;
    } else {
        timeouts++;
        fprintf(stderr, "ipcez_peer: message %ld (%u bytes): RecipientAckTimeout\n", sent - 1, length);
    }
}

/* The next message into buffer, or -1 at end of file. */
static long read_message(int fd, unsigned char *buffer) {
    unsigned char header[4];
    if (!read_all(fd, header, 4)) {
        return -1;
    }
    uint32_t length = (uint32_t) header[0] << 24 | (uint32_t) header[1] << 16 | (uint32_t) header[2] << 8 | header[3];
    if (length > MAX_MESSAGE) {
        fprintf(stderr, "ipcez_peer: frame of %u bytes is over 4 MiB\n", length);
        exit(2);
    }
    if (length > 0 && !read_all(fd, buffer, length)) {
        fprintf(stderr, "ipcez_peer: end of file inside a frame\n");
        exit(2);
    }
    received++;
    received_bytes += length;
    for (uint32_t k = 0; k < length; k++) {
        checksum = checksum * 31 + buffer[k];
    }
    return length;
}

static void acknowledge(void) {
    if (sem_post(data_acked) != 0) {
        die("sem_post(data_acked)");
    }
}

/*
 * One pair of semaphores serves both directions: before waiting for the acknowledgement of its
 * own reply, a server lets its client take the acknowledgement it just posted for the client.
 */
static void let_client_take_its_ack(void) {
    for (int i = 0; i < ACK_SECONDS * 1000; i++) {
        int value;
        if (sem_getvalue(data_acked, &value) != 0) {
            die("sem_getvalue(data_acked)");
        }
        if (value <= 0) {
            return;
        }
        usleep(1000);
    }
}

static uint32_t message_size(long i) {
    return i == 0 ? 0 : i == 1 ? MAX_MESSAGE : (uint32_t) ((i * 37) % 1000);
}

static void fill(unsigned char *buffer, long i, uint32_t size) {
    for (uint32_t k = 0; k < size; k++) {
        buffer[k] = (unsigned char) (i * 31 + k * 7 + (k >> 8));
    }
}

static struct sockaddr_un address_of(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        fprintf(stderr, "ipcez_peer: path too long: %s\n", path);
        exit(2);
    }
    strcpy(address.sun_path, path);
    return address;
}

static int serve_one(const char *path) {
    struct sockaddr_un address = address_of(path);
    int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0 || bind(server, (struct sockaddr *) &address, sizeof address) != 0 || listen(server, 1) != 0) {
        die(path);
    }
    printf("listening\n");
    fflush(stdout);
    int client = accept(server, NULL, NULL);
    if (client < 0) {
        die("accept");
    }
    close(server);
    unlink(path);
    return client;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ipcez_peer client PATH N | server PATH | silent PATH\n");
        return 2;
    }
    const char *mode = argv[1];
    const char *path = argv[2];
    data_ready = open_semaphore(path, "data_ready");
    data_acked = open_semaphore(path, "data_acked");
    unsigned char *buffer = malloc(MAX_MESSAGE);
    if (buffer == NULL) {
        die("malloc");
    }
    if (strcmp(mode, "client") == 0 && argc == 4) {
        struct sockaddr_un address = address_of(path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
            die(path);
        }
        long n = atol(argv[3]);
        for (long i = 0; i < n; i++) {
            fill(buffer, i, message_size(i));
            send_message(fd, buffer, message_size(i));
        }
        while (read_message(fd, buffer) >= 0) {
            acknowledge();
        }
    } else if (strcmp(mode, "server") == 0) {
        int fd = serve_one(path);
        long length;
        while ((length = read_message(fd, buffer)) >= 0) {
            acknowledge();
            let_client_take_its_ack();
            send_message(fd, buffer, (uint32_t) length);
        }
    } else if (strcmp(mode, "silent") == 0) {
        int fd = serve_one(path);
        while (read_message(fd, buffer) >= 0) {
            /* ipcez's recipient would post data_acked here; this one never does. */
        }
    } else {
        fprintf(stderr, "ipcez_peer: unknown mode %s\n", mode);
        return 2;
    }
    printf("sent=%ld acked=%ld timeouts=%ld received=%ld bytes=%ld checksum=%llu\n", sent, acked, timeouts,
           received, received_bytes, checksum);
    return timeouts == 0 ? 0 : 3;
}
