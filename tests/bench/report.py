"""The benchmarks' results as the Markdown table `python -m tests.bench` prints."""

from __future__ import annotations

from typing import Any

from tests.bench.databases import BACKENDS


def table(results: dict[str, Any], sizes: list[int]) -> str:
    """The results as a Markdown table, one column per database."""
    backends = [b for b in BACKENDS if b in results]
    rows: list[tuple[str, ...]] = []

    def row(label: str, pick: Any) -> None:
        cells = []
        for b in backends:
            try:
                cells.append(pick(results[b]))
            except (KeyError, TypeError):
                cells.append("-")
        rows.append((label, *cells))

    _store_rows(row, sizes)
    if any("pages" in results[b] for b in backends):
        from tests.bench.bench_pages import table_rows

        table_rows(row, results, backends, sizes)
    row("durability", lambda r: ", ".join(f"{k}={v}" for k, v in r["durability"].items()))

    lines = ["| measure | " + " | ".join(backends) + " |",
             "| --- | " + " | ".join("---:" for _ in backends) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _store_rows(row: Any, sizes: list[int]) -> None:
    """The table's rows of the store: appends, imports, rebuilds, summaries and the web."""
    largest = str(sizes[-1])
    row("baseline insert, 1 per transaction (events/s)",
        lambda r: f"{r['baseline']['insert_one_per_transaction']['rate']:,.0f}")
    row("casebook append, 1 per transaction (events/s)", lambda r: f"{r['append']['rate']:,.0f}")
    row("  append p50 / p99 (ms)", lambda r: f"{r['append']['p50_ms']:.2f} / {r['append']['p99_ms']:.2f}")
    row("  **ratio append** (target ≥ 0.5)", lambda r: f"**{r['ratios']['append']:.2f}**")
    row("plain driver sending an append's statements, 1 per transaction (events/s)",
        lambda r: f"{r['baseline']['append_shape']['rate']:,.0f}")
    row("  its ratio to the one-row baseline (no validation, rules or projections)",
        lambda r: f"{r['append_shape_ratio']:.2f}")
    row(f"baseline insert, 1,000 per transaction, {int(largest):,} (events/s)",
        lambda r: f"{r['baseline']['insert_batched']['rate']:,.0f}")
    for size in sizes:
        row(f"casebook import {size:,}: events/s, whole command / without start-up",
            lambda r, s=str(size): f"{r['import'][s]['rate']:,.0f} / {r['import'][s]['net_rate']:,.0f}")
    row("  **ratio import** (target ≥ 0.5)", lambda r: f"**{r['ratios']['import']:.2f}**")
    for size in sizes:
        row(f"  import {size:,} peak RSS (MB)", lambda r, s=str(size): f"{r['import'][s]['peak_rss_mb']:.0f}")
    row(f"baseline read and fold, {int(largest):,} (events/s)",
        lambda r: f"{r['baseline']['read_and_fold']['rate']:,.0f}")
    for size in sizes:
        row(f"casebook rebuild {size:,}: events/s, whole command / without start-up",
            lambda r, s=str(size): f"{r['rebuild'][s]['rate']:,.0f} / {r['rebuild'][s]['net_rate']:,.0f}")
    row("  **ratio rebuild** (target ≥ 0.5)", lambda r: f"**{r['ratios']['rebuild']:.2f}**")
    row("command start-up (`casebook --help`, s)", lambda r: f"{r['command_startup_s']:.2f}")
    for size in sizes:
        row(f"summary at {size:,}: year / quarter (ms)",
            lambda r, s=str(size): f"{r['summary_detail_ms'][s]['year']:.1f} / "
                                   f"{r['summary_detail_ms'][s]['quarter']:.1f}")
    row(f"  summary {int(largest):,} ÷ {sizes[0]:,} (target ≤ 2)",
        lambda r: f"{r['summary_ms'][largest] / r['summary_ms'][str(sizes[0])]:.2f}")
    row("web: log an event, 4 clients (requests/s)", lambda r: f"{r['web']['rate']:,.0f}")
    row("  web p50 / p99 (ms)", lambda r: f"{r['web']['p50_ms']:.1f} / {r['web']['p99_ms']:.1f}")


def pages_table(results: dict[str, Any], sizes: list[int]) -> str:
    """Each page's median ms per size on each database, with the largest size's ratio to the
    smallest: the table `--only pages` prints."""
    backends = [b for b in BACKENDS if b in results and "pages" in results[b]]
    first, last = str(sizes[0]), str(sizes[-1])
    head = ["page"] + [f"{b} {size:,} ms" for b in backends for size in sizes] + [
        f"{b} ratio" for b in backends]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    names = list(dict.fromkeys(n for b in backends for n in results[b]["pages"]))
    for name in names:
        cells = [name]
        for b in backends:
            timed = results[b]["pages"].get(name, {})
            cells += [f"{timed[str(s)]:.1f}" if str(s) in timed else "-" for s in sizes]
        for b in backends:
            timed = results[b]["pages"].get(name, {})
            cells.append(f"{timed[last] / timed[first]:.2f}" if first in timed and last in timed
                         else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
