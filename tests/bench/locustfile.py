"""The web benchmark's load: Locust users logging an event through casebook's HTTP form.

Run by `tests/bench/bench_web.py` as `python -m locust -f tests/bench/locustfile.py --headless
--csv ...` in a child process of its own: Locust patches sockets and threads with gevent, which
must not happen inside the benchmark process. Its settings come from the environment:

- ``CASEBOOK_BENCH_PASSWORD``: the first admin's password, as printed by `casebook serve`;
- ``CASEBOOK_BENCH_FORM_PATH``: the log-event form, e.g. ``/log/kenward-trust/engagement.recorded``;
- ``CASEBOOK_BENCH_USERS``: how many users run (Locust's ``-u``), so they can wait for each other;
- ``CASEBOOK_BENCH_REQUESTS_PER_USER``: measured POSTs per user;
- ``CASEBOOK_BENCH_WARMUP``: POSTs per user before measuring;
- ``CASEBOOK_BENCH_REQUEST_TIMEOUT_S``: seconds a request may take before it fails the run.

Every user signs in, reads the CSRF token from the form page and POSTs the form with a fresh
event id each time, expecting the 303 redirect. The warm-up requests are taken out of the
figures by resetting Locust's statistics once every user has finished its warm-up (the users
wait for each other there, so no warm-up request is in flight at the reset). When every user has
sent its share the run ends itself; the first failure ends it at once, the failure recorded in
the CSV files for the benchmark to report.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any, NoReturn

import gevent
from gevent.event import Event
from locust import HttpUser, constant, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import CSV_STATS_INTERVAL_SEC

PASSWORD = os.environ["CASEBOOK_BENCH_PASSWORD"]
FORM_PATH = os.environ["CASEBOOK_BENCH_FORM_PATH"]
USERS = int(os.environ["CASEBOOK_BENCH_USERS"])
REQUESTS_PER_USER = int(os.environ["CASEBOOK_BENCH_REQUESTS_PER_USER"])
WARMUP = int(os.environ["CASEBOOK_BENCH_WARMUP"])
#: A request that takes longer than this fails the run: a stuck server must not hang it.
REQUEST_TIMEOUT_S = float(os.environ["CASEBOOK_BENCH_REQUEST_TIMEOUT_S"])
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _Run:
    """What the users of this process share: who has warmed up, who is done, whether it ended."""

    warmed = 0
    done = 0
    ended = False
    measuring = Event()
    forever = Event()


def _end(environment: Environment, failed: bool) -> None:
    """Stop the run once the CSV writer has written the final figures.

    Locust rewrites its CSV files every `CSV_STATS_INTERVAL_SEC` and not again when it quits,
    so quitting at once could leave the last requests out of them.
    """
    if failed:
        environment.process_exit_code = 1
    if _Run.ended:
        return
    _Run.ended = True
    runner = environment.runner
    assert runner is not None
    gevent.spawn_later(2 * CSV_STATS_INTERVAL_SEC + 0.5, runner.quit)


def _answer(response: Any) -> str:
    """What the server said, or why nothing came back (a timeout, a refused connection)."""
    if response.status_code:
        return f"answered {response.status_code}"
    return f"got no answer: {response.error!r}"


class CaseworkerUser(HttpUser):
    """The first admin logging engagements as fast as the server answers."""

    wait_time = constant(0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = ""
        self.sent = 0

    def on_start(self) -> None:
        """Sign in, read the form's CSRF token, send the warm-up and wait for the other users."""
        token = self._token("/sign-in")
        with self.client.post("/sign-in", data={
                "username": "admin", "password": PASSWORD, "csrf_token": token},
                allow_redirects=False, timeout=REQUEST_TIMEOUT_S, catch_response=True) as response:
            signed_in = response.status_code in (302, 303)
            if not signed_in:
                response.failure(f"sign-in {_answer(response)}")
        if not signed_in:
            self._fail()
        self.token = self._token(FORM_PATH)
        for _ in range(WARMUP):
            self._log_event()
        _Run.warmed += 1
        if _Run.warmed == USERS and not _Run.ended:
            self.environment.stats.reset_all()
            _Run.measuring.set()
        _Run.measuring.wait()

    def _token(self, path: str) -> str:
        """GET a form page and return its CSRF token; the run ends if there is none."""
        with self.client.get(path, timeout=REQUEST_TIMEOUT_S, catch_response=True) as response:
            match = _CSRF.search(response.text or "") if response.status_code == 200 else None
            if match is None:
                response.failure(f"GET {path} {_answer(response)} with no CSRF token")
        if match is None:
            self._fail()
        return match[1]

    def _log_event(self) -> None:
        """POST the log-event form once with a fresh event id; anything but a 303 ends the run."""
        n = self.sent
        self.sent += 1
        form = {
            "csrf_token": self.token, "event_id": str(uuid.uuid4()),
            "occurred-day": str(1 + n % 28), "occurred-month": str(1 + n % 12),
            "occurred-year": "2024", "data-kind": "outreach", "data-people": "12",
            "data-location": "Tonbridge",
        }
        with self.client.post(FORM_PATH, data=form, allow_redirects=False,
                              timeout=REQUEST_TIMEOUT_S, catch_response=True) as response:
            logged = response.status_code == 303
            if not logged:
                response.failure(f"logging {_answer(response)}")
        if not logged:
            self._fail()

    def _fail(self) -> NoReturn:
        """End the run at the first failure (already recorded by Locust) and idle until it ends.

        Called outside the request's `with` block: Locust records the failure when it closes.
        """
        _end(self.environment, failed=True)
        _Run.forever.wait()
        raise StopUser()

    @task
    def log_event(self) -> None:
        """One measured POST; after its share the user waits for the others to finish."""
        self._log_event()
        if self.sent == WARMUP + REQUESTS_PER_USER:
            _Run.done += 1
            if _Run.done == USERS:
                _end(self.environment, failed=False)
            _Run.forever.wait()
