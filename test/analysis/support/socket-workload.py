#!/usr/bin/env python3
"""Known processes with known fds for the kernel analysis tests (loopback only).

  socket-workload.py idle INFO        a process that opens a TCP connection to itself
                                      BEFORE the recording starts, writes INFO (json) and
                                      waits. On SIGUSR1 it sends on both ends and does fd
                                      operations (pipe, dup2, F_DUPFD_CLOEXEC, open,
                                      close-on-exec across fork+exec), then writes
                                      INFO.poke (json). SIGTERM ends it; so do 120 s.
  socket-workload.py run INFO [IDLE]  the recorded workload: a TCP listener, a client, an
                                      accepted connection, a short exchange and the close;
                                      then it pokes the idle process whose INFO is IDLE
                                      and waits for IDLE.poke. Writes INFO (json) with every pid, fd
                                      and port it used.
"""
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time


def write_info(path, info):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(info, f)
    os.rename(tmp, path)


def idle(info_path):
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(('127.0.0.1', 0))
    lst.listen(1)
    cli = socket.create_connection(lst.getsockname())
    srv, _ = lst.accept()
    lst.close()

    def poke(_sig, _frame):
        cli.sendall(b'ping from the idle client\n')
        srv.recv(100)
        srv.sendall(b'pong from the idle server\n')
        cli.recv(100)
        write_info(info_path + '.poke', fd_operations())

    signal.signal(signal.SIGUSR1, poke)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    write_info(info_path, {
        'pid': os.getpid(),
        'client_fd': cli.fileno(), 'client': list(cli.getsockname()),
        'server_fd': srv.fileno(), 'server': list(srv.getsockname()), 'peer': list(srv.getpeername()),
    })
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        signal.pause() if hasattr(signal, 'pause') else time.sleep(1)


def fd_operations():
    """pipe2(O_CLOEXEC), dup2 onto 40, F_DUPFD_CLOEXEC from 50, open(), and a child
    (fork+exec) that is passed fd 40 only."""
    info = {}
    r, w = os.pipe()
    info['pipe'] = [r, w]
    os.dup2(w, 40)                     # dup2 clears close-on-exec on fd 40
    info['dup2_target'] = 40
    info['dupfd_cloexec'] = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 50)
    f = os.open('/etc/hostname', os.O_RDONLY)
    info['file_fd'] = f
    child = subprocess.Popen(['/bin/sleep', '0.05'], pass_fds=[40], close_fds=True)
    info['child_pid'] = child.pid
    child.wait()
    for fd in (f, 40, r, w, info['dupfd_cloexec']):
        os.close(fd)
    return info


def run(info_path, idle_info):
    info = {'pid': os.getpid()}
    # TCP over loopback: listen, connect, accept, exchange, close (client first)
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(('127.0.0.1', 0))
    lst.listen(4)
    info['listener_fd'] = lst.fileno()
    info['port'] = lst.getsockname()[1]
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.connect(('127.0.0.1', info['port']))
    info['client_fd'] = cli.fileno()
    info['client_port'] = cli.getsockname()[1]
    srv, peer = lst.accept()
    info['accepted_fd'] = srv.fileno()
    info['accepted_peer_port'] = peer[1]
    cli.sendall(b'hello, server\n')
    assert srv.recv(100) == b'hello, server\n'
    srv.sendall(b'hello, client\n')
    assert cli.recv(100) == b'hello, client\n'
    cli.close()
    assert srv.recv(100) == b''
    srv.close()
    lst.close()

    if idle_info:
        with open(idle_info) as f:
            os.kill(json.load(f)['pid'], signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not os.path.exists(idle_info + '.poke') and time.monotonic() < deadline:
            time.sleep(0.02)
    write_info(info_path, info)


if __name__ == '__main__':
    mode, path = sys.argv[1], sys.argv[2]
    if mode == 'idle':
        idle(path)
    else:
        run(path, sys.argv[3] if len(sys.argv) > 3 else '')
