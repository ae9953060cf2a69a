"""Logging an event through the web form: `casebook serve` (waitress) driven by Locust.

Locust runs headless in a child process (`locustfile.py` beside this file): it patches sockets
and threads with gevent when imported, which must not happen inside the benchmark process. Its
`--csv` statistics for the form's POST are the figures; its version is read from the installed
package's metadata, without importing it.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import requests

from tests.bench.bench_store import CASEBOOK
from tests.bench.databases import scratch

CLIENTS = 4
WARMUP_PER_CLIENT = 10
#: Every request, and the whole run, is bounded: a stuck server fails the benchmark, not the day.
REQUEST_TIMEOUT_S = 30
RUN_LIMIT_S = 300
#: Locust's own start-up and shutdown on top of the run, before the child is killed.
LOCUST_GRACE_S = 60
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_PASSWORD = re.compile(r"password: (\S+)")
FORM_PATH = "/log/kenward-trust/engagement.recorded"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(url: str, port: int) -> tuple[subprocess.Popen[str], str, list[str]]:
    """`casebook serve` on 127.0.0.1; its process, the first admin's password and its output."""
    env = {**os.environ, "CASEBOOK_DATABASE_URL": url,
           "CASEBOOK_SECRET_KEY": uuid.uuid4().hex}
    process = subprocess.Popen(
        [CASEBOOK, "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output: list[str] = []
    password = None
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    for text in process.stdout:
        output.append(text)
        if (found := _PASSWORD.search(text)) is not None:
            password = found[1]
        if text.startswith("Serving casebook") or time.monotonic() > deadline:
            break
    # Keep reading so a chatty server never blocks on a full pipe.
    threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True).start()
    if password is None:
        process.terminate()
        raise RuntimeError("casebook serve printed no first admin: " + "".join(output)[-2000:])
    return process, password, output


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/sign-in", timeout=5)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _drive(base: str, password: str, per_client: int) -> dict[str, Any]:
    """Run Locust against `base`; the figures of the form's POST from its CSV statistics."""
    with tempfile.TemporaryDirectory(prefix="casebook-bench-locust-") as folder:
        prefix = Path(folder) / "web"
        env = {**os.environ, "CASEBOOK_BENCH_PASSWORD": password, "CASEBOOK_BENCH_FORM_PATH": FORM_PATH,
               "CASEBOOK_BENCH_USERS": str(CLIENTS), "CASEBOOK_BENCH_REQUESTS_PER_USER": str(per_client),
               "CASEBOOK_BENCH_WARMUP": str(WARMUP_PER_CLIENT),
               "CASEBOOK_BENCH_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S)}
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                   "--host", base, "--users", str(CLIENTS), "--spawn-rate", str(CLIENTS),
                   "--run-time", f"{RUN_LIMIT_S}s", "--csv", str(prefix), "--only-summary"]
        try:
            child = subprocess.run(command, env=env, capture_output=True, text=True,
                                   timeout=RUN_LIMIT_S + LOCUST_GRACE_S)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"web benchmark failed: locust still running after "
                               f"{RUN_LIMIT_S + LOCUST_GRACE_S} s") from error
        stats = _read_csv(Path(f"{prefix}_stats.csv"))
        failures = _read_csv(Path(f"{prefix}_failures.csv"))
        exceptions = _read_csv(Path(f"{prefix}_exceptions.csv"))
    if failures or exceptions:
        reasons = [f"{row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}×)" for row in failures]
        reasons += [f"{row['Message']} ({row['Count']}×)" for row in exceptions]
        raise RuntimeError(f"web benchmark failed: {reasons[:5]}")
    if child.returncode != 0:
        raise RuntimeError(f"web benchmark failed: locust exited {child.returncode}: {child.stderr[-2000:]}")
    posts = [row for row in stats if row["Type"] == "POST" and row["Name"] == FORM_PATH]
    expected = per_client * CLIENTS
    if len(posts) != 1 or int(posts[0]["Request Count"]) != expected:
        count = posts[0]["Request Count"] if posts else 0
        why = (f"the run limit of {RUN_LIMIT_S} s was reached" if "--run-time limit reached" in child.stderr
               else f"locust stopped early: {child.stderr[-2000:]}")
        raise RuntimeError(f"web benchmark failed: {why} ({count} of {expected} requests counted)")
    post = posts[0]
    return {"count": expected, "failures": int(post["Failure Count"]),
            "rate": round(float(post["Requests/s"]), 1),
            "p50_ms": float(post["50%"]), "p99_ms": float(post["99%"])}


def run(backend: str, requests_total: int, log: Callable[[str], None]) -> dict[str, Any]:
    """p50/p99 of POSTing the log-event form, four Locust users at once, against a real server."""
    per_client = max(requests_total // CLIENTS, 1)
    with scratch(backend) as db:
        port = _free_port()
        process, password, _ = _start_server(db.url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base)
            figures = _drive(base, password, per_client)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    result = {**figures, "clients": CLIENTS, "path": f"POST {FORM_PATH}",
              "server": "casebook serve (waitress)", "load_tool": f"locust {version('locust')}"}
    log(f"  web ({result['load_tool']}): {result['rate']:,.0f} requests/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms")
    return result
