"""Run the benchmarks on SQLite and PostgreSQL: `python -m tests.bench [--full]`.

Prints a results table and writes tests/bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from events.db import make_engine
from tests.bench import baseline, bench_store
from tests.bench.databases import BACKENDS, Scratch, durability, scratch
from tests.bench.measure import Latencies
from tests.bench.report import pages_table, table
from tests.bench.synth import synthetic_events

RESULTS = Path(__file__).parent / "results"
_ROUND = 50
QUICK = {"sizes": [10_000, 100_000], "appends": 1_000, "web_requests": 400}
FULL = {"sizes": [10_000, 100_000, 1_000_000], "appends": 5_000, "web_requests": 2_000}


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    cpu = "unknown"
    memory_gb = 0.0
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal"):
                memory_gb = round(int(text.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import os

    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": memory_gb,
            "python": platform.python_version(), "platform": platform.platform()}


def _appends(
    backend: str, count: int, log: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The plain driver's one-row commits, the plain driver sending an append's shape of
    statements, and casebook's interactive append, taken in turns.

    A commit's cost is mostly the disk's, which other work on the machine moves a lot; rounds of
    50 taken in turns let every side meet the same conditions.
    """
    lines = list(synthetic_events(count))
    rows = baseline.event_rows(lines, backend)
    plain, shape, ours = Latencies(), Latencies(), Latencies()
    with (scratch(backend, casebook=False) as base_db, scratch(backend, casebook=False) as shape_db,
          scratch(backend) as db):
        baseline.create_events_table(base_db)
        baseline.create_shape_tables(shape_db)
        engine = make_engine(db.url)
        try:
            for start in range(0, count, _ROUND):
                part = slice(start, start + _ROUND)
                plain.seconds += baseline.insert_one_per_transaction(base_db, rows[part]).seconds
                shape.seconds += baseline.append_shape(shape_db, rows[part]).seconds
                ours.seconds += bench_store.interactive_append(engine, lines[part]).seconds
        finally:
            engine.dispose()
    log(f"  baseline one per transaction: {plain.rate:,.0f}/s p50 {plain.percentile_ms(50):.2f} ms")
    log(f"  plain driver, an append's statements: {shape.rate:,.0f}/s "
        f"p50 {shape.percentile_ms(50):.2f} ms")
    log(f"  append: {ours.rate:,.0f}/s p50 {ours.percentile_ms(50):.2f} ms "
        f"p99 {ours.percentile_ms(99):.2f} ms")
    return plain.summary(), shape.summary(), ours.summary()


def _baseline(backend: str, size: int, log: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with scratch(backend, casebook=False) as db:
        baseline.create_events_table(db)
        seconds = 0.0
        lines = synthetic_events(size)
        versions: Counter[str] = Counter()
        while chunk := list(islice(lines, 10_000)):
            rows = baseline.event_rows(chunk, backend, versions)
            seconds += baseline.insert_batched(db, rows)
        result["insert_batched"] = {"count": size, "rate": round(size / seconds, 1)}
        log(f"  baseline batched insert: {size / seconds:,.0f}/s")
        read_seconds, read = baseline.read_and_fold(db)
        result["read_and_fold"] = {"count": read, "rate": round(read / read_seconds, 1)}
        log(f"  baseline read and fold: {read / read_seconds:,.0f}/s")
    return result


def run_backend(backend: str, plan: dict[str, Any], folder: Path, log: Any) -> dict[str, Any]:
    """Every measurement on one kind of database."""
    sizes: list[int] = plan["sizes"]
    largest = sizes[-1]
    log(f"{backend}:")
    base = _baseline(backend, largest, log)
    result: dict[str, Any] = {"baseline": base, "import": {}, "rebuild": {}, "summary_ms": {},
                              "summary_detail_ms": {}}
    base["insert_one_per_transaction"], base["append_shape"], result["append"] = _appends(
        backend, plan["appends"], log)
    with scratch(backend) as db:
        result["durability"] = durability(db.url)
        startup = sorted(bench_store.startup(db).seconds for _ in range(3))[1]
        result["command_startup_s"] = round(startup, 3)

    with ExitStack() as logs:  # each size's database, kept for the summaries in turns below
        databases = _imported(backend, sizes, folder, logs, result, startup, log)
        # In turns, as the appends are: a few seconds' noise on a shared machine doubled one
        # size's summaries when each size was timed on its own, minutes apart.
        summaries = bench_store.summaries_in_turns(databases)
        if plan.get("pages", True):
            _pages(result, databases, log)
    for size in sizes:
        summary = result["summary_detail_ms"][str(size)] = summaries[str(size)]
        result["summary_ms"][str(size)] = summary["year"]
        log(f"  summary at {size:,}: year {summary['year']} ms, quarter {summary['quarter']} ms")

    if plan.get("web_requests"):
        from tests.bench import bench_web

        result["web"] = bench_web.run(backend, plan["web_requests"], log)

    #: Not a target: how close the plain driver itself gets to the one-row commit when it sends
    #: what an append must send (`baseline.append_shape`), the best the append ratio could be.
    result["append_shape_ratio"] = round(
        base["append_shape"]["rate"] / base["insert_one_per_transaction"]["rate"], 3)
    result["ratios"] = {
        "append": round(result["append"]["rate"] / base["insert_one_per_transaction"]["rate"], 3),
        "import": round(result["import"][str(largest)]["net_rate"]
                        / base["insert_batched"]["rate"], 3),
        "rebuild": round(result["rebuild"][str(largest)]["net_rate"]
                         / base["read_and_fold"]["rate"], 3),
    }
    return result


def _imported(backend: str, sizes: list[int], folder: Path, logs: ExitStack,
              result: dict[str, Any], startup: float, log: Any) -> dict[str, Scratch]:
    """A database of each size, imported and rebuilt by the commands (their figures noted in
    `result`), open until `logs` closes."""
    databases: dict[str, Scratch] = {}
    for size in sizes:
        path = bench_store.write_file(folder, size)
        db = databases[str(size)] = logs.enter_context(scratch(backend))
        run = bench_store.import_file(db, path)
        if f"{size} written" not in run.stdout:
            raise RuntimeError(f"import of {size} events said: {run.stdout}")
        result["import"][str(size)] = _command(size, run.seconds, startup, run.peak_rss_mb)
        log(f"  import {size:,}: {size / run.seconds:,.0f}/s, peak RSS {run.peak_rss_mb:.0f} MB")
        run = bench_store.rebuild_command(db)
        result["rebuild"][str(size)] = _command(size, run.seconds, startup, run.peak_rss_mb)
        log(f"  rebuild {size:,}: {size / run.seconds:,.0f}/s, peak RSS {run.peak_rss_mb:.0f} MB")
    return databases


def run_pages(backend: str, plan: dict[str, Any], folder: Path, log: Any) -> dict[str, Any]:
    """The pages section alone (`--only pages`): each size's log imported and rebuilt, then
    every page in turns and the exports."""
    log(f"{backend}:")
    result: dict[str, Any] = {"import": {}, "rebuild": {}}
    with ExitStack() as logs:
        _pages(result, _imported(backend, plan["sizes"], folder, logs, result, 0.0, log), log)
    return result


def _pages(result: dict[str, Any], databases: dict[str, Scratch], log: Any) -> None:
    """Every page's median and p95 server time on every size, taken in turns; the exports."""
    from tests.bench import bench_exports, bench_pages

    timed = bench_pages.pages_in_turns(databases)
    result["pages"], result["pages_p95"] = timed["median"], timed["p95"]
    smallest = min(databases, key=int)
    for name, by_size in timed["median"].items():
        cells = ", ".join(f"{int(size):,}: {ms:.1f} ms" for size, ms in by_size.items())
        log(f"  {name}: {cells} (×{by_size[max(by_size, key=int)] / by_size[smallest]:.2f})")
    largest = max(databases, key=int)
    result["exports"] = bench_exports.run(databases[largest], int(largest))
    log(f"  exports at {int(largest):,}: {result['exports']}")


def _command(size: int, seconds: float, startup: float, peak_rss_mb: float) -> dict[str, float]:
    """A command's figures: `rate` over its whole run, `net_rate` without the start-up."""
    return {"seconds": round(seconds, 2), "rate": round(size / seconds, 1),
            "net_rate": round(size / max(seconds - startup, 1e-3), 1),
            "peak_rss_mb": round(peak_rss_mb, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="up to 1,000,000 events")
    parser.add_argument("--backend", choices=BACKENDS, action="append",
                        help="only this database (repeatable; default both)")
    parser.add_argument("--no-web", action="store_true", help="leave out the web measurement")
    parser.add_argument("--no-pages", action="store_true", help="leave out the pages section")
    parser.add_argument("--only", choices=["pages"],
                        help="only this section (written to results/pages.json unless --output)")
    parser.add_argument("--sizes", help="comma-separated log sizes instead of the plan's")
    parser.add_argument("--appends", type=int, help="interactive appends instead of the plan's")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    plan: dict[str, Any] = dict(FULL if args.full else QUICK)
    if args.sizes:
        plan["sizes"] = sorted(int(size) for size in args.sizes.split(","))
    if args.appends:
        plan["appends"] = args.appends
    if args.no_pages:
        plan["pages"] = False
    if args.no_web:
        plan["web_requests"] = 0

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="casebook-bench-files-") as folder:
        for backend in args.backend or BACKENDS:
            run = run_pages if args.only == "pages" else run_backend
            results[backend] = run(backend, plan, Path(folder), log)
    info = machine()
    results["machine"] = (f"{info['nproc']} × {info['cpu']}, {info['memory_gb']} GB RAM, "
                          f"Python {info['python']}")
    results["machine_detail"] = info
    results["plan"] = {"full": args.full, "only": args.only, **plan}
    results["taken_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["seconds"] = round(time.perf_counter() - started, 1)
    output = args.output or RESULTS / ("pages.json" if args.only else "latest.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(pages_table(results, plan["sizes"]) if args.only else table(results, plan["sizes"]))
    print(f"\n{results['machine']}; {results['seconds']} s; written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
