"""The exports' rate and memory: the event-log CSV and `GET /api/events` read whole, each in a
child process of its own so that its peak RSS is the export's alone.

The time is the server's: from asking to the last byte of each answer, after a first request
(so the URL map and statements are compiled, as on a server that has been asked before); the
API's pages of 1,000 are each timed so, and read as JSON outside the time.

`python -m tests.bench.bench_exports URL csv|api SCHEME` prints `{"rows": n, "seconds": s}`;
the bench signs in as the user the pages bench made (`bench_pages.site`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from tests.bench.databases import Scratch
from tests.bench.measure import run_child

#: A scheme whose events have no personal fields, one whose referrals do, and the whole log.
SCHEMES = {"plain": "asb-enforcement", "personal": "davss", "all": ""}


def run(db: Scratch, size: int) -> dict[str, dict[str, dict[str, float]]]:
    """Rows per second and peak RSS of each export of each kind of scheme, on `db`."""
    result: dict[str, dict[str, dict[str, float]]] = {}
    for kind in ("csv", "api"):
        for what, scheme in SCHEMES.items():
            child = run_child([sys.executable, "-m", "tests.bench.bench_exports", db.url, kind,
                               scheme], dict(os.environ))
            if child.returncode != 0:
                raise RuntimeError(f"export {kind} {what} failed: {child.stderr[-2000:]}")
            read = json.loads(child.stdout)
            result.setdefault(kind, {})[what] = {
                "rows": read["rows"], "rate": round(read["rows"] / read["seconds"], 1),
                "peak_rss_mb": round(child.peak_rss_mb, 1), "log_size": size}
    return result


def _export(url: str, kind: str, scheme: str) -> dict[str, Any]:
    from casebook import create_app
    from casebook.services.accounts import create_token
    from tests.bench.bench_pages import NOW, sign_in

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "FROZEN_NOW": NOW,
                      "TESTING": True})
    client = app.test_client()
    rows = 0
    # Signing in, the token and the first request (its URL map and statements compiled) are
    # not the export: a server that has been asked once before is the one measured.
    if kind == "csv":
        sign_in(client)
        client.get("/events/events.csv?type=subject.erased").close()
    else:
        with app.app_context():
            headers = {"Authorization": f"Bearer {create_token('bench', 'export')}"}
        client.get("/api/events", query_string={"limit": 1}, headers=headers).close()
    seconds = 0.0
    if kind == "csv":
        start = time.perf_counter()
        response = client.get("/events/events.csv" + (f"?scheme={scheme}" if scheme else ""))
        for chunk in response.response:  # streamed: never the whole body at once
            rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        rows -= 1  # the header
        seconds = time.perf_counter() - start
    else:
        after = 0
        while True:
            query = {"limit": 1000, "after": after, **({"scheme": scheme} if scheme else {})}
            start = time.perf_counter()
            body = client.get("/api/events", query_string=query, headers=headers).get_data()
            seconds += time.perf_counter() - start  # the server's answer, not our reading of it
            page = json.loads(body)
            rows += len(page["events"])
            if page["next_after"] is None:
                break
            after = page["next_after"]
    app.extensions["casebook.engine"].dispose()
    return {"rows": rows, "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(_export(*sys.argv[1:4])))
