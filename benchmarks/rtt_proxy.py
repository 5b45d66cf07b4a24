"""A TCP proxy that adds a fixed round-trip delay between a client and the embedded PostgreSQL.

The embedded server listens on a Unix socket only, where a round trip costs ~0.05 ms; the seeds'
databases were across a network. ``make bench`` therefore times almanac and each seed-shaped baseline a
second time through this proxy: it accepts TCP on 127.0.0.1 and forwards each connection to the
server's Unix socket, holding every chunk it reads, in each direction, for ``delay`` seconds before
sending it on. A request and its answer each wait once, so one round trip costs ``2 × delay`` more —
per round trip, not per byte: a chunk is whatever the socket holds when it is read (up to 1 MB), so a
long COPY stream pays the delay once per megabyte, not once per row or packet.

It runs in its own process (``python -m benchmarks.rtt_proxy``), so the benchmark's own Python work
never holds it up; :class:`RttProxy` starts and stops it. Each connection gets one thread per
direction. The timer slack of the process is set to 1 ns so that ``time.sleep`` of a quarter
millisecond does not oversleep by the kernel's default 50 µs; what is left (the wake-up, the two
extra socket hops) is measured, not assumed: :mod:`benchmarks.run` calibrates the delay until 1,000
``SELECT 1`` through the proxy cost the requested round trip more than over the Unix socket.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import socket
import subprocess
import sys
import threading
import time

CHUNK = 1 << 20
PR_SET_TIMERSLACK = 29


def _precise_sleep_setup() -> None:
    # Not Linux: sleeps are a little coarser; the calibration and the measured RTT show it.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)


def _pipe(src: socket.socket, dst: socket.socket, delay: float) -> None:
    """Forward src → dst in a thread: each chunk leaves ``delay`` seconds after it was read; EOF too.

    While one chunk waits, the next one gathers in the kernel's socket buffer and is read as one chunk
    right after: a stream pays the delay once per buffer-full (up to 1 MB), not once per packet."""

    def forward() -> None:
        while True:
            try:
                data = src.recv(CHUNK)
            except OSError:
                data = b""
            if delay:
                time.sleep(delay)
            try:
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=forward, daemon=True).start()


def serve(unix_path: str, delay: float, port: int = 0) -> None:
    _precise_sleep_setup()
    sys.setswitchinterval(0.0001)  # threads blocked in sleep/recv hand over the GIL quickly
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.connect(unix_path)
        except OSError:
            client.close()
            continue
        _pipe(client, server, delay)
        _pipe(server, client, delay)


class RttProxy:
    """The proxy process: ``with RttProxy(socket_path, rtt_ms=0.5) as proxy: ... proxy.port``."""

    def __init__(self, unix_path: str, *, delay_ms: float) -> None:
        self.unix_path, self.delay_ms = unix_path, delay_ms
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    def start(self) -> RttProxy:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.rtt_proxy", self.unix_path, "--delay-ms", str(self.delay_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._process.stdout.readline())
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> RttProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unix_path", help="the server's Unix socket file (…/.s.PGSQL.<port>)")
    parser.add_argument("--delay-ms", type=float, default=0.25, help="one-way delay per chunk (RTT / 2)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.unix_path, args.delay_ms / 1000, args.port)


if __name__ == "__main__":
    main(sys.argv[1:])
