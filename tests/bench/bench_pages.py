"""The staff pages' server time on each size of log: every page asked for in turns, several rounds.

Each page is one row of `PAGES`: a name and the address to ask for, made from what the site's
database holds (a figure of each measure, the position page 50 starts at, a stored summary).
The plan test (`tests/test_casebook/test_query_plans.py`) walks the same list.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient

from casebook import create_app
from casebook.services import reads
from casebook.services.event_filter import read_filter
from events.db import reading
from events.quarters import FinancialYear
from projections.figures import FigureReader
from tests.bench.databases import Scratch
from tests.bench.synth import LONG_CASE

#: "Today" on every bench page: inside the synthetic log's five years, late in 2025/26.
NOW = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
PAST_YEAR = "2023/24"
#: Events shown on a page of the event log and asked for per page of the API.
PAGE_EVENTS = 50
#: The event-log filters measured: each alone, then combined (a big and a small scheme).
FILTERS: dict[str, dict[str, str]] = {
    "unfiltered": {},
    "scheme davss": {"scheme": "davss"},
    "scheme mobile-cctv": {"scheme": "mobile-cctv"},
    "type": {"type": "notice.issued"},
    "date range": {"from": "2023-04-01", "to": "2023-06-30"},
    "recorded by": {"recorded_by": "a.khan"},
    "combined": {"scheme": "davss", "type": "referral.received", "from": "2022-04-01",
                 "to": "2024-03-31", "recorded_by": "a.khan"},
}
MEASURES = ("count", "sum", "distinct", "repeat-rate", "active", "latest-return")
PASSWORD = "bench-password-1"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Site:
    """One database's app, a client signed in as an administrator, and what its pages name."""

    app: Flask
    client: FlaskClient
    token: str
    #: Figure id per measure, in the past year's plan; and the later page of its drill-down.
    figures: dict[str, tuple[str, int]] = field(default_factory=dict)
    summary_id: int = 0
    cursors: dict[tuple[str, str], int] = field(default_factory=dict)

    def cursor(self, name: str, order: str) -> int:
        """The position page 50 of a filter starts from (`before` newest first, `after` oldest
        first), or its last page's where it has fewer; 0 for a filter of one page."""
        key = (name, order)
        if key not in self.cursors:
            chosen, _ = read_filter(FILTERS[name])
            with self.app.app_context(), reading(self.app.extensions["casebook.engine"]) as c:
                listed = _first_events(c, chosen, order, 49 * PAGE_EVENTS)
            last = (len(listed) - 1) // PAGE_EVENTS * PAGE_EVENTS - 1  # the page before the last
            self.cursors[key] = listed[last].event.position if last >= 0 else 0
        return self.cursors[key]


def _first_events(connection: Any, chosen: Any, order: str, count: int) -> list[Any]:
    if order == "before":
        return reads.filtered_events(connection, chosen, None, limit=count)
    found = []
    for listed in reads.iter_filtered_events(connection, chosen, None):
        found.append(listed)
        if len(found) == count:
            break
    return found


@dataclass(frozen=True)
class Page:
    """A row of the pages table: its name, its address on a site, and whether it is the API's."""

    name: str
    address: Callable[[Site], str]
    api: bool = False
    #: The page reads the newest (or oldest) events of the whole log in position order and
    #: stops after a page: walking the primary key is its plan, not a scan of the log.
    walks: bool = False


def _log(name: str, later: bool) -> Page:
    args = FILTERS[name]
    label = f"event log, {name}" + (", page 50" if later else "")
    return Page(label, lambda s: "/events?" + urlencode({**args, **_later(s, name, "before", later)}),
                walks=not args)


def _api(name: str, later: bool) -> Page:
    args = {**FILTERS[name], "limit": str(PAGE_EVENTS)}
    label = f"GET /api/events, {name}" + (", page 50" if later else "")
    return Page(label, lambda s: "/api/events?" + urlencode(
        {**args, **_later(s, name, "after", later)}), api=True, walks=len(args) == 1)


def _later(built: Site, name: str, order: str, later: bool) -> dict[str, int]:
    """The paging argument of page 50 (none for the first page, or a filter of one page)."""
    position = built.cursor(name, order) if later else 0
    return {order: position} if position else {}


def _figure(measure: str, later: bool) -> Page:
    def address(site: Site) -> str:
        figure_id, page = site.figures[measure]
        return (f"/dashboard/figures/{figure_id}?" +
                urlencode({"year": PAST_YEAR, **({"page": page} if later else {})}))
    return Page(f"figure drill-down, {measure}" + (", later page" if later else ""), address)


def _fixed(name: str, address: str) -> Page:
    return Page(name, lambda _s: address)


#: Every page measured, in the order of the table. A new page is one row here; the plan test
#: follows this list too.
PAGES: list[Page] = [
    _fixed("dashboard, this year", "/dashboard"),
    _fixed("dashboard, this year Q1", "/dashboard?quarter=Q1"),
    _fixed("dashboard, past year", f"/dashboard?year={PAST_YEAR}"),
    _fixed("dashboard, past year Q3", f"/dashboard?year={PAST_YEAR}&quarter=Q3"),
    *[_figure(measure, later) for measure in MEASURES for later in (False, True)],
    *[_log(name, later) for name in FILTERS for later in (False, True)],
    _fixed("case page, 500 events", f"/cases/{LONG_CASE}"),
    _fixed("cases list", "/cases"),
    _fixed("my cases", "/cases?owner=me"),
    _fixed("cases list, reference search", "/cases?q=2023"),
    _fixed("summaries list", "/summaries"),
    Page("summary page", lambda s: f"/summaries/{s.summary_id}"),
    *[_api(name, later) for name in FILTERS for later in (False, True)],
    _fixed("event log CSV, scheme mobile-cctv", "/events/events.csv?scheme=mobile-cctv"),
]


@contextmanager
def site(db: Scratch) -> Iterator[Site]:
    """The app on `db`, made ready by `prepare`."""
    app = create_app({"DATABASE_URL": db.url, "SECRET_KEY": "bench", "FROZEN_NOW": NOW,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TESTING": True})
    try:
        yield prepare(app)
    finally:
        app.extensions["casebook.engine"].dispose()


def prepare(app: Flask) -> Site:
    """An administrator signed in on `app`, a token for the API, a stored summary of the past
    year, and the figures whose drill-downs are measured."""
    from casebook.services.accounts import create_token, create_user
    from projections.archive import generate

    with app.app_context():
        create_user("bench", "admin", (), PASSWORD, must_change=False,
                    hash_method=app.config["PASSWORD_HASH_METHOD"])
        token = create_token("bench", "bench")
        stored = generate(app.extensions["casebook.engine"], FinancialYear.parse(PAST_YEAR),
                          "bench", only_if_missing=False, now=NOW)
        assert stored is not None
    client = app.test_client()
    sign_in(client)
    built = Site(app, client, token, summary_id=stored.id)
    built.figures = _figures(built)
    return built


def sign_in(client: FlaskClient) -> None:
    """Sign `client` in as the bench's administrator, through the real form."""
    form = client.get("/sign-in").get_data(as_text=True)
    found = _CSRF.search(form)
    assert found, "no CSRF token on the sign-in form"
    response = client.post("/sign-in", data={"username": "bench", "password": PASSWORD,
                                             "csrf_token": found.group(1)})
    assert response.status_code == 302, response.status_code


def _figures(built: Site) -> dict[str, tuple[str, int]]:
    """The past year's first figure of each measure that counts something, and the page of its
    drill-down ten pages in (or its last)."""
    from casebook.services.figure_rows import figure_rows
    from casebook.web.pages.drilldown import PAGE_SIZE
    from projections.figures import quarters_of

    year = FinancialYear.parse(PAST_YEAR)
    chosen: dict[str, tuple[str, int]] = {}
    with built.app.app_context(), reading(built.app.extensions["casebook.engine"]) as c:
        for figure in FigureReader(c, year).figures:
            if figure.measure in chosen:
                continue
            count = figure_rows(c, figure, quarters_of(year)).count
            if count:
                chosen[figure.measure] = (figure.id, min(10, -(-count // PAGE_SIZE)))
    for measure in MEASURES:
        chosen.setdefault(measure, chosen["count"])
    return chosen


def get(built: Site, page: Page, address: str) -> int:
    """Ask for the page and read all of it; the number of bytes."""
    headers = {"Authorization": f"Bearer {built.token}"} if page.api else {}
    # The API takes bearer tokens only: a signed-in browser's cookie is not asked for there.
    client = built.app.test_client() if page.api else built.client
    response = client.get(address, headers=headers)
    body = response.get_data()
    if response.status_code != 200:
        raise RuntimeError(f"{page.name}: {address} answered {response.status_code}")
    return len(body)


def pages_in_turns(databases: dict[str, Scratch], *, rounds: int = 7
                   ) -> dict[str, dict[str, dict[str, float]]]:
    """Median and p95 milliseconds of every page on every database, by page and size: each
    round asks each page of each database in turn, after a warm-up round."""
    times: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        sites = {size: stack.enter_context(site(db)) for size, db in databases.items()}
        addresses = {(p.name, size): p.address(s) for p in PAGES for size, s in sites.items()}
        for attempt in range(rounds + 1):
            for page in PAGES:
                for size, built in sites.items():
                    start = time.perf_counter()
                    get(built, page, addresses[(page.name, size)])
                    if attempt:  # the first round warms caches and compiles statements
                        times.setdefault((page.name, size), []).append(time.perf_counter() - start)
    result: dict[str, dict[str, dict[str, float]]] = {"median": {}, "p95": {}}
    for (name, size), taken in times.items():
        ordered = sorted(taken)
        result["median"].setdefault(name, {})[size] = round(statistics.median(ordered) * 1000, 2)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
        result["p95"].setdefault(name, {})[size] = round(p95 * 1000, 2)
    return result


def table_rows(row: Any, results: dict[str, Any], backends: list[str], sizes: list[int]) -> None:
    """The results table's rows: each page's median / p95 ms per size with the ratio to the
    smallest, then each export's rate and peak memory."""
    names = list(dict.fromkeys(n for b in backends for n in results[b].get("pages", {})))
    first = str(sizes[0])
    for name in names:
        for size in sizes:
            s = str(size)
            row(f"page {name} at {size:,}: median / p95 ms" + ("" if s == first else " (ratio)"),
                lambda r, n=name, s=s: f"{r['pages'][n][s]:.1f} / {r['pages_p95'][n][s]:.1f}"
                + ("" if s == first else f" (×{r['pages'][n][s] / r['pages'][n][first]:.2f})"))
    for kind in ("csv", "api"):
        for what in ("plain", "personal", "all"):
            row(f"export {kind}, {what} rows at {int(sizes[-1]):,}: rows/s, peak RSS MB",
                lambda r, k=kind, w=what: f"{r['exports'][k][w]['rate']:,.0f}, "
                                          f"{r['exports'][k][w]['peak_rss_mb']:.0f}")
