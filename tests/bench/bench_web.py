"""Logging an event through the web form: `casebook serve` (waitress) and four client threads."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.bench.bench_store import CASEBOOK
from tests.bench.databases import scratch
from tests.bench.measure import Latencies

CLIENTS = 4
#: Every request, and the whole run, is bounded: a stuck server fails the benchmark, not the day.
REQUEST_TIMEOUT_S = 30
RUN_LIMIT_S = 300
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_PASSWORD = re.compile(r"password: (\S+)")
FORM_PATH = "/log/kenward-trust/engagement.recorded"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _csrf(page: str) -> str:
    match = _CSRF.search(page)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match[1]


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


def _client(base: str, password: str, count: int, warmup: int, latencies: Latencies,
            failures: list[str], lock: threading.Lock, stop_at: float) -> None:
    with requests.Session() as session:
        page = session.get(f"{base}/sign-in", timeout=REQUEST_TIMEOUT_S).text
        response = session.post(f"{base}/sign-in", data={
            "username": "admin", "password": password, "csrf_token": _csrf(page)},
            timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
        if response.status_code not in (302, 303):
            failures.append(f"sign-in answered {response.status_code}")
            return
        token = _csrf(session.get(f"{base}{FORM_PATH}", timeout=REQUEST_TIMEOUT_S).text)
        for n in range(warmup + count):
            if time.monotonic() > stop_at:
                failures.append("time limit reached")
                return
            form = {
                "csrf_token": token, "event_id": str(uuid.uuid4()),
                "occurred-day": str(1 + n % 28), "occurred-month": str(1 + n % 12),
                "occurred-year": "2024", "data-kind": "outreach", "data-people": "12",
                "data-location": "Tonbridge",
            }
            start = time.perf_counter()
            response = session.post(f"{base}{FORM_PATH}", data=form, timeout=REQUEST_TIMEOUT_S,
                                    allow_redirects=False)
            seconds = time.perf_counter() - start
            if response.status_code != 303:
                failures.append(f"logging answered {response.status_code}")
                return
            if n >= warmup:
                with lock:
                    latencies.add(seconds)


def run(backend: str, requests_total: int, log: Callable[[str], None]) -> dict[str, Any]:
    """p50/p99 of POSTing the log-event form, four clients at once, against a real server."""
    with scratch(backend) as db:
        port = _free_port()
        process, password, _ = _start_server(db.url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base)
            latencies = Latencies()
            failures: list[str] = []
            lock = threading.Lock()
            per_client = max(requests_total // CLIENTS, 1)
            stop_at = time.monotonic() + RUN_LIMIT_S
            threads = [
                threading.Thread(target=_client, args=(base, password, per_client, 10, latencies,
                                                       failures, lock, stop_at))
                for _ in range(CLIENTS)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if failures:
        raise RuntimeError(f"web benchmark failed: {failures[:5]}")
    result = {**latencies.summary(), "clients": CLIENTS, "path": f"POST {FORM_PATH}",
              "server": "casebook serve (waitress)",
              # Requests per second of wall time with four clients (warm-up included).
              "rate": round((per_client + 10) * CLIENTS / elapsed, 1)}
    log(f"  web: {result['rate']:,.0f} requests/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms")
    return result
