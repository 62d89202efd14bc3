"""A peer on a System V message queue, through Python's sysv_ipc (Debian's python3-sysv-ipc,
seen by /usr/bin/python3).

    sysv_peer.py send KEY TYPE:SIZE ...       send one message per argument, of that type, with
                                              payload(SIZE, TYPE) as its bytes; print "ok N"
    sysv_peer.py receive KEY SELECTOR COUNT   receive COUNT messages with that type selector
                                              (msgrcv's rules) and print "TYPE HEX" for each
                                              (HEX empty for an empty message), then "ok COUNT"

The queue must exist (the Java side makes it). Messages are read with a buffer of the kernel's
msgmax, so every message the queue can hold fits. Used by Conduit's SysvIpcInteropTest.
"""
import sys

import sysv_ipc


def payload(size, mtype):
    """The bytes of a message: NULs, newlines and high bytes included."""
    return bytes((mtype * 31 + k * 7) % 256 for k in range(size))


def msgmax():
    with open("/proc/sys/kernel/msgmax") as f:
        return int(f.read())


def main():
    mode, key = sys.argv[1], int(sys.argv[2], 0)
    queue = sysv_ipc.MessageQueue(key, max_message_size=msgmax())
    if mode == "send":
        specs = sys.argv[3:]
        for spec in specs:
            mtype, size = (int(part) for part in spec.split(":"))
            queue.send(payload(size, mtype), block=True, type=mtype)
        print("ok", len(specs), flush=True)
    elif mode == "receive":
        selector, count = int(sys.argv[3]), int(sys.argv[4])
        for _ in range(count):
            message, mtype = queue.receive(block=True, type=selector)
            print(mtype, message.hex(), flush=True)
        print("ok", count, flush=True)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
