"""Small measuring tools: latency percentiles, a child process's peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


@dataclass
class Latencies:
    """Seconds per operation, summarised as a rate and percentiles in milliseconds."""

    seconds: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.seconds.append(value)

    @property
    def total(self) -> float:
        return sum(self.seconds)

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.total if self.total else 0.0

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return 0.0
        k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[k] * 1000

    def summary(self) -> dict[str, float]:
        return {
            "count": len(self.seconds),
            "rate": round(self.rate, 1),
            "p50_ms": round(self.percentile_ms(50), 3),
            "p99_ms": round(self.percentile_ms(99), 3),
        }


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: wall seconds, peak resident memory, exit status and output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(args: list[str], env: dict[str, str]) -> ChildRun:
    """Run a command, and read its own peak RSS from wait4 (not the maximum of all children)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux.
        return ChildRun(seconds, usage.ru_maxrss / 1024, process.returncode, out.read(), err.read())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
