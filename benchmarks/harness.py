"""The ``make bench`` harness: each domain adds ``benchmarks/bench_<domain>.py`` with
``run(ctx: BenchContext) -> list[Workload]``; :mod:`benchmarks.run` finds and runs them.

A workload times almanac's way and a naive per-entity baseline (the seed's loop) on the same data in
the same run, and the harness prints one line per workload: name, size, almanac seconds, baseline
seconds, ratio. Figures are printed, never asserted: speed goals are read off this output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Workload:
    name: str
    size: str
    almanac_seconds: float
    baseline_seconds: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_seconds or not self.almanac_seconds:
            return None
        return self.baseline_seconds / self.almanac_seconds


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``fn`` once; return its result and the wall seconds it took."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def format_table(rows: list[Workload]) -> str:
    header = f"{'workload':<44} {'size':<34} {'almanac s':>10} {'baseline s':>11} {'ratio':>8}  note"
    lines = [header, "-" * len(header)]
    for w in rows:
        baseline = f"{w.baseline_seconds:>11.2f}" if w.baseline_seconds is not None else f"{'-':>11}"
        ratio = f"{w.ratio:>7.1f}x" if w.ratio is not None else f"{'-':>8}"
        lines.append(f"{w.name:<44} {w.size:<34} {w.almanac_seconds:>10.2f} {baseline} {ratio}  {w.note}")
    return "\n".join(lines)
