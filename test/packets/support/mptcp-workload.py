#!/usr/bin/env python3
"""MPTCP traffic for the packet tests (Node cannot open IPPROTO_MPTCP sockets).

  mptcp-workload.py server HOST PORT      accept one connection, read it to the end
  mptcp-workload.py client HOST PORT N    send N chunks of 64 KiB, 5 ms apart, then close
Bounded: every socket operation times out after 20 s.
"""
import socket
import sys
import time

IPPROTO_MPTCP = 262


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.settimeout(20)
    if mode == "server":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1)
        print("ready", flush=True)
        c, _ = s.accept()
        c.settimeout(20)
        while c.recv(65536):
            pass
        c.close()
    else:
        s.connect((host, port))
        chunk = b"m" * 65536
        for _ in range(int(sys.argv[4])):
            s.sendall(chunk)
            time.sleep(0.005)
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
