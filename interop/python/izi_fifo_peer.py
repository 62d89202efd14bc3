"""A peer that does what izilang's std.ipc does on a FIFO, system call for system call.

    izi_fifo_peer.py write PATH COUNT   openWrite, send COUNT messages, close
    izi_fifo_peer.py read PATH COUNT    createPipe, openRead, print "ready", wait for a line on
                                        stdin, recv COUNT messages, then expect the end of the stream

izilang (src/interp/native_modules.cpp): createPipe is mkfifo(PATH, 0600), taking an existing
one as it is; openRead is open(O_RDONLY | O_NONBLOCK), then O_NONBLOCK cleared; openWrite is
open(O_WRONLY | O_NONBLOCK), failing with ENXIO while no reader has the FIFO open, then
O_NONBLOCK cleared; send is two write(2) calls, the 4-byte big-endian length and then the
payload; recv is one read(2) of 4 bytes for the length, then reads until the payload is whole,
and a read of 0 is the end. That last rule is izilang's bug which Conduit's receiver does not
have: a reader whose writer has not opened yet reads 0 too, so an izilang script can recv only
once its writer is there; here the reader waits for a line on stdin, which the test sends once
its sender is open. Exit status 0 and a last line "ok COUNT" mean every message matched.
Used by Conduit's IzilangFifoInteropTest.
"""
import errno
import fcntl
import os
import struct
import sys


def payload(i):
    """Message i: some empty, some binary with NULs and newlines, some far above PIPE_BUF."""
    size = (0, 1, 4, 4092, 4093, 70000, 300000)[i] if i < 7 else (i * 131) % 3000
    return bytes((i * 7 + k * 13) % 256 for k in range(size))


def blocking(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def run_write(path, count):
    fd = blocking(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    for i in range(count):
        message = payload(i)
        write_all(fd, struct.pack(">I", len(message)))
        write_all(fd, message)
    os.close(fd)
    print(f"ok {count}", flush=True)


def read_exactly(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            sys.exit(f"end of stream {len(data)} bytes into {n}")
        data += chunk
    return data


def run_read(path, count):
    try:
        os.mkfifo(path, 0o600)
    except FileExistsError:
        pass
    fd = blocking(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        header = os.read(fd, 4)
        if len(header) != 4:
            sys.exit(f"message {i}: read {len(header)} header bytes")
        (length,) = struct.unpack(">I", header)
        got = read_exactly(fd, length)
        if got != payload(i):
            sys.exit(f"message {i}: got {len(got)} bytes that differ from the {len(payload(i))} expected")
    if os.read(fd, 4) != b"":
        sys.exit("more than the messages expected")
    os.close(fd)
    print(f"ok {count}", flush=True)


if __name__ == "__main__":
    mode, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"write": run_write, "read": run_read}[mode](path, count)
