#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Test helper: opens listeners and loopback connections, holds them until stdin closes."""
import argparse
import ctypes
import os
import resource
import socket
import sys


def set_comm(name):
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NAME = 15
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode("latin-1")[:15]), 0, 0, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listeners", type=int, default=0)
    ap.add_argument("--v6-listeners", type=int, default=0)
    ap.add_argument("--conns", type=int, default=0)
    ap.add_argument("--port-base", type=int, default=20000)
    ap.add_argument("--name", default=None, help="process name (escapes allowed)")
    ap.add_argument("--ready", default=None, help="file to create when everything is open")
    ap.add_argument("--procs", type=int, default=1,
                    help="spread the connections over this many processes (fd limits)")
    a = ap.parse_args()

    server_port = a.port_base - 1
    if a.procs > 1:
        # Children hold the connections, each with its own server port below
        # port_base; the parent keeps the listeners and says when all are ready.
        share, pipes = a.conns // a.procs, []
        for k in range(a.procs):
            r, w = os.pipe()
            if os.fork() == 0:
                os.close(r)
                hold(a, 0, 0, share, a.port_base - 1 - k, None, w)
            os.close(w)
            pipes.append(r)
        for r in pipes:
            os.read(r, 1)
        hold(a, a.listeners, a.v6_listeners, 0, server_port, a.ready, None)
    hold(a, a.listeners, a.v6_listeners, a.conns, server_port, a.ready, None)


def hold(a, listeners, v6_listeners, conns, server_port, ready, notify):
    need = listeners + v6_listeners + 2 * conns + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    if a.name is not None:
        set_comm(a.name.encode().decode("unicode_escape"))

    held = []
    for i in range(listeners):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", a.port_base + i))
        s.listen(128)
        held.append(s)
    for i in range(v6_listeners):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::1", a.port_base + listeners + i))
        s.listen(128)
        held.append(s)
    if conns:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", server_port))
        srv.listen(4096)
        held.append(srv)
        batch = 512
        for start in range(0, conns, batch):
            clients = []
            for _ in range(min(batch, conns - start)):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.connect(("127.0.0.1", server_port))
                clients.append(c)
            for _ in clients:
                conn, _ = srv.accept()
                held.append(conn)
            held.extend(clients)
    if notify is not None:
        os.write(notify, b"r")
    if ready:
        open(ready, "w").close()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
    sys.stdin.read()
    sys.exit(0)


if __name__ == "__main__":
    main()
