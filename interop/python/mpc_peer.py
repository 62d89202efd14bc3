"""A peer that speaks Python's standard multiprocessing.connection.

    mpc_peer.py client ADDRESS COUNT [FAMILY [KEYFILE]]
        connect, send COUNT messages, expect each back reversed
    mpc_peer.py server ADDRESS COUNT [FAMILY [KEYFILE]]
        listen, accept one client, send back COUNT messages reversed

FAMILY is AF_UNIX (the default; ADDRESS is a socket path) or AF_INET (ADDRESS is HOST:PORT;
a server given port 0 prints the port it got on its "listening" line). KEYFILE names a file
whose bytes, exactly as they are, are the authkey for Python's HMAC challenge; without it
there is no authentication.

A server prints "listening" once it accepts. Exit status 0 and a last line "ok COUNT" mean
every message matched; a failed authentication prints "AuthenticationError: MESSAGE" and
exits with status 3. Used by Conduit's PythonInteropTest and PythonAuthkeyInteropTest to check
the wire format and the challenge against code nobody on the project wrote.
"""
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener


def payload(i):
    size = (0, 1, 4, 255, 65536, 1 << 20)[i] if i < 6 else (i * 131) % 3000
    return bytes((i * 7 + k * 13) % 256 for k in range(size))


def run_client(address, family, authkey, count):
    with Client(address, family=family, authkey=authkey) as conn:
        for i in range(count):
            sent = payload(i)
            conn.send_bytes(sent)
            got = conn.recv_bytes()
            if got != sent[::-1]:
                sys.exit(f"message {i}: got {len(got)} bytes, expected the {len(sent)} sent, reversed")
    print(f"ok {count}", flush=True)


def run_server(address, family, authkey, count):
    with Listener(address, family=family, authkey=authkey) as listener:
        port = f" {listener.address[1]}" if family == "AF_INET" else ""
        print("listening" + port, flush=True)
        with listener.accept() as conn:
            for _ in range(count):
                conn.send_bytes(conn.recv_bytes()[::-1])
    print(f"ok {count}", flush=True)


def main(mode, address, count, family="AF_UNIX", keyfile=None):
    if family == "AF_INET":
        host, port = address.rsplit(":", 1)
        address = (host, int(port))
    authkey = None
    if keyfile is not None:
        with open(keyfile, "rb") as f:
            authkey = f.read()
    run = {"client": run_client, "server": run_server}[mode]
    try:
        run(address, family, authkey, int(count))
    except AuthenticationError as e:
        print(f"AuthenticationError: {e}", flush=True)
        sys.exit(3)


if __name__ == "__main__":
    main(*sys.argv[1:])
