"""A TCP proxy that adds a fixed round-trip delay between a client and the embedded PostgreSQL.

The embedded server listens on a Unix socket only, where a round trip costs ~0.05 ms; the seeds'
databases were across a network. ``make bench`` therefore times almanac and each seed-shaped baseline a
second time through this proxy: it accepts TCP on 127.0.0.1 and forwards each connection to the
server's Unix socket, holding every chunk it reads, in each direction, for ``delay`` seconds before
sending it on. A request and its answer each wait once, so a round trip costs ``2 × delay`` more.
A chunk is whatever the socket holds when it is read (up to 1 MB), so a COPY stream pays the delay
once per chunk, not once per row: like a network, latency hurts chatty clients, not bulk transfers.

It runs in its own process so the benchmark's Python work never holds it up (:class:`RttProxy`
starts and stops it), one thread per connection and direction. What the delay really adds (sleep
overshoot, two extra socket hops) is measured by :mod:`benchmarks.run` and printed, not assumed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import socket
import subprocess
import sys
import threading
import time

CHUNK = 1 << 20
PR_SET_TIMERSLACK = 29


def _forward(src: socket.socket, dst: socket.socket, delay: float) -> None:
    """Copy src → dst, each chunk ``delay`` seconds after it was read, until EOF."""
    while True:
        try:
            data = src.recv(CHUNK)
        except OSError:
            data = b""
        time.sleep(delay)
        try:
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            dst.sendall(data)
        except OSError:
            return


def serve(unix_path: str, delay: float) -> None:
    # Linux sleeps up to 50 µs past the deadline by default ("timer slack"); 1 ns keeps a 0.25 ms
    # sleep at 0.25 ms. Elsewhere the sleeps are a little coarser, which the measured RTT shows.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    sys.setswitchinterval(0.0001)  # a thread woken from its sleep gets the GIL quickly
    # Exit when the benchmark does, however it ends: its end closes our stdin.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)  # the port, for RttProxy
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.connect(unix_path)
        except OSError:
            client.close()
            continue
        for src, dst in ((client, server), (server, client)):
            threading.Thread(target=_forward, args=(src, dst, delay), daemon=True).start()


class RttProxy:
    """The proxy process: ``with RttProxy(socket_path, delay_ms=0.25) as proxy: ... proxy.port``."""

    def __init__(self, unix_path: str, *, delay_ms: float) -> None:
        self.unix_path, self.delay_ms = unix_path, delay_ms
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> RttProxy:
        command = [sys.executable, "-m", "benchmarks.rtt_proxy", self.unix_path, "--delay-ms", str(self.delay_ms)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self._process.stdout.readline())
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process.stdin.close()
            self._process.stdout.close()
            self._process = None

    def __enter__(self) -> RttProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unix_path", help="the server's Unix socket file (…/.s.PGSQL.<port>)")
    parser.add_argument("--delay-ms", type=float, default=0.25, help="one-way delay per chunk (RTT / 2)")
    args = parser.parse_args(argv)
    serve(args.unix_path, args.delay_ms / 1000)


if __name__ == "__main__":
    main(sys.argv[1:])
