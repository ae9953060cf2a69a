"""Small measuring tools: latency percentiles, a child process's peak memory."""

from __future__ import annotations

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
    """Run a command, and follow its own peak RSS while it runs.

    Not `wait4`'s ru_maxrss: Linux carries the high-water mark across fork and exec, so a child
    of a large benchmark process would report the benchmark's memory. `VmHWM` in
    /proc/PID/status belongs to the command's own address space; it is read every 20 ms, so a
    rise in the command's last 20 ms can be missed. Workers it forks are not included.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return ChildRun(seconds, peak_kb / 1024, process.returncode, out.read(), err.read())


def _high_water_kb(pid: int) -> int:
    """The process's peak resident set so far (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
