"""The ``make bench`` harness: each domain adds ``benchmarks/bench_<domain>.py`` with
``run(ctx: BenchContext) -> list[Workload]``; :mod:`benchmarks.run` finds and runs them.

A workload times almanac's way and a naive per-entity baseline (the seed's loop) on the same data in
the same run (:func:`measure`), in up to two views: ``local`` (the embedded server's Unix socket,
~0.03 ms a round trip) and ``rtt`` (the same server behind :mod:`benchmarks.rtt_proxy`, which adds a
fixed round trip as a network would). Beside them, per workload:

- **floor**: the cheapest pass that reads the same input and writes the same output — one scan of the
  input rows (reading the columns the workload reads) and one COPY of the workload's output rows into
  an empty copy of each output table (same columns, constraints and indexes), committed
  (:func:`floor_seconds`). almanac's multiple of it is what its computation, staging and round
  trips cost beyond reading the input and writing the output once;
- **peak RSS**: the benchmark process's peak resident memory during almanac's (local) run
  (:class:`PeakRss`, Linux's resettable high-water mark); almanac's task code runs in this process.

Figures are printed, never asserted: speed goals are read off this output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg import sql


@dataclass
class Workload:
    name: str
    size: str
    almanac_seconds: float
    baseline_seconds: float | None = None
    note: str = ""
    rtt_almanac_seconds: float | None = None
    rtt_baseline_seconds: float | None = None
    floor_seconds: float | None = None
    rss_mb: float | None = None

    @property
    def ratio(self) -> float | None:
        return _ratio(self.baseline_seconds, self.almanac_seconds)

    @property
    def rtt_ratio(self) -> float | None:
        return _ratio(self.rtt_baseline_seconds, self.rtt_almanac_seconds)

    @property
    def floor_ratio(self) -> float | None:
        return _ratio(self.almanac_seconds, self.floor_seconds)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``fn`` once; return its result and the wall seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


class PeakRss:
    """This process's peak resident set during the block, in MB.

    Linux keeps a high-water mark of the resident set (``VmHWM``) and resets it to the current RSS on
    ``echo 5 > /proc/self/clear_refs``: resetting it before the block and reading it after gives the
    block's own peak, whatever earlier steps peaked at. It includes what the process already holds
    (Airflow, earlier steps' memory the allocator kept), so read it across N: a step whose peak grows
    with the data holds the data in memory; a flat one streams. ``mb`` is None where the kernel offers
    no resettable mark.
    """

    def __init__(self) -> None:
        self.mb: float | None = None
        self._resettable = False

    def __enter__(self) -> PeakRss:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._resettable = True
        except OSError:
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self._resettable:
            self.mb = _status_kb("VmHWM") / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


Scan = tuple[str, Mapping[str, Any] | None]
Output = tuple[str, str, Mapping[str, Any] | None]


def floor_seconds(connect: Callable[[], Any], scans: Sequence[Scan], outputs: Sequence[Output]) -> float:
    """Seconds of the cheapest pass over the same data: every ``scans`` query (each reads a workload's
    input rows, e.g. ``SELECT count(a), count(b) FROM t WHERE <window>``), then one COPY per output of the
    rows ``(table, where, params)`` selects — taken from almanac's own result beforehand, untimed — into
    an empty ``LIKE table INCLUDING ALL`` copy, in one transaction."""
    with connect() as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        conn.execute("CREATE SCHEMA bench_floor")
        payloads = []
        for n, (table, where, params) in enumerate(outputs):
            target = sql.Identifier("bench_floor", f"output_{n}")
            source = sql.Identifier(*table.split("."))
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(target, source))
            query = sql.SQL("COPY (SELECT * FROM {} WHERE {}) TO STDOUT").format(source, sql.SQL(where))
            data = bytearray()
            with conn.cursor().copy(query, params) as copy:
                for block in copy:
                    data += block
            payloads.append((target, bytes(data)))
        conn.commit()
        start = time.perf_counter()
        for query, params in scans:
            conn.execute(query, params).fetchall()
        for target, data in payloads:
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(target)) as copy:
                copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP SCHEMA bench_floor CASCADE")
        conn.commit()
    return elapsed


def measure(
    ctx, almanac: Callable[[], Any], baseline: Callable[[], Any] | None = None, *, reset=None, rtt_baseline=None
):
    """Time almanac's way (and its peak RSS) and the baseline over the Unix socket, then both again
    through the RTT proxy when ``ctx`` runs one; baselines only where ``ctx.baselines``.

    ``reset`` (untimed) empties almanac's output before each of its runs, so the second run writes into
    empty tables as the first did. ``rtt_baseline``, if given, replaces the baseline's RTT run and
    returns its own seconds (a sample scaled up, where the full loop would take minutes).
    Returns almanac's first result and the timing fields of a :class:`Workload`."""
    if reset:
        reset()
    with PeakRss() as rss:
        result, seconds = timed(almanac)
    timings = {"almanac_seconds": seconds, "rss_mb": rss.mb}
    if baseline and ctx.baselines:
        timings["baseline_seconds"] = timed(baseline)[1]
    if ctx.rtt_ms:
        with ctx.via_proxy():
            if reset:
                reset()
            timings["rtt_almanac_seconds"] = timed(almanac)[1]
            if rtt_baseline and ctx.baselines:
                timings["rtt_baseline_seconds"] = rtt_baseline()
            elif baseline and ctx.baselines:
                timings["rtt_baseline_seconds"] = timed(baseline)[1]
    return result, timings


def _seconds(value: float | None, width: int) -> str:
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"


def _times(value: float | None, width: int) -> str:
    return f"{value:>{width - 1}.1f}x" if value is not None else f"{'-':>{width}}"


def _mb(value: float | None, width: int) -> str:
    return f"{value:>{width}.0f}" if value is not None else f"{'-':>{width}}"


def format_table(rows: list[Workload], *, rtt_label: str = "RTT") -> str:
    """One line per workload — over the Unix socket: almanac, baseline, ratio; the same through the RTT
    proxy; the floor and almanac's multiple of it; almanac's peak RSS — then its size and note."""
    header = (
        f"{'workload':<44} {'almanac s':>9} {'baseline s':>10} {'ratio':>7} | {rtt_label + ': almanac s':>22}"
        f" {'baseline s':>10} {'ratio':>7} | {'floor s':>7} {'×floor':>6} | {'RSS MB':>7}"
    )
    lines = [header, "-" * len(header)]
    for w in rows:
        lines.append(
            f"{w.name:<44} {_seconds(w.almanac_seconds, 9)} {_seconds(w.baseline_seconds, 10)} {_times(w.ratio, 7)}"
            f" | {_seconds(w.rtt_almanac_seconds, 22)} {_seconds(w.rtt_baseline_seconds, 10)}"
            f" {_times(w.rtt_ratio, 7)} | {_seconds(w.floor_seconds, 7)} {_times(w.floor_ratio, 6)} | {_mb(w.rss_mb, 7)}"
        )
        lines.append(f"    {w.size}; {w.note}")
    return "\n".join(lines)


def format_growth(runs: dict[int, list[Workload]]) -> str:
    """Seconds per workload at each scale N, the growth t(N_max)/t(1) (≈ N_max is linear), almanac's
    multiple of the floor at N_max and the peak RSS at each N (flat = streaming)."""
    scales = sorted(runs)
    top = scales[-1]
    by_name = {n: {w.name: w for w in rows} for n, rows in runs.items()}
    header = (
        f"{'workload':<44} "
        + " ".join(f"{f'N={n} s':>8}" for n in scales)
        + f" {f't({top})/t(1)':>10} {f'×floor@{top}':>9} | "
        + " ".join(f"{f'RSS@{n}':>7}" for n in scales)
    )
    lines = [header, "-" * len(header)]
    for w in runs[scales[0]]:
        at = [by_name[n].get(w.name) for n in scales]
        last = at[-1]
        growth = last.almanac_seconds / w.almanac_seconds if last else None
        lines.append(
            f"{w.name:<44} "
            + " ".join(_seconds(x.almanac_seconds if x else None, 8) for x in at)
            + f" {_times(growth, 10)} {_times(last.floor_ratio if last else None, 9)} | "
            + " ".join(_mb(x.rss_mb if x else None, 7) for x in at)
        )
    return "\n".join(lines)
