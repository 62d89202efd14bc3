"""A peer that speaks Python's standard multiprocessing.connection (AF_UNIX, no authkey).

    mpc_peer.py client ADDRESS COUNT   connect, send COUNT messages, expect each back reversed
    mpc_peer.py server ADDRESS COUNT   listen, accept one client, send back COUNT messages reversed

Exit status 0 and a last line "ok COUNT" mean every message matched. Used by Conduit's
PythonInteropTest to check the wire format against code nobody on the project wrote.
"""
import sys
from multiprocessing.connection import Client, Listener


def payload(i):
    size = (0, 1, 4, 255, 65536, 1 << 20)[i] if i < 6 else (i * 131) % 3000
    return bytes((i * 7 + k * 13) % 256 for k in range(size))


def run_client(address, count):
    with Client(address, family="AF_UNIX") as conn:
        for i in range(count):
            sent = payload(i)
            conn.send_bytes(sent)
            got = conn.recv_bytes()
            if got != sent[::-1]:
                sys.exit(f"message {i}: got {len(got)} bytes, expected the {len(sent)} sent, reversed")
    print(f"ok {count}", flush=True)


def run_server(address, count):
    with Listener(address, family="AF_UNIX") as listener:
        print("listening", flush=True)
        with listener.accept() as conn:
            for _ in range(count):
                conn.send_bytes(conn.recv_bytes()[::-1])
    print(f"ok {count}", flush=True)


if __name__ == "__main__":
    mode, address, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"client": run_client, "server": run_server}[mode](address, count)
