"""Folding a rebuild's batch in several processes at once, each over its own range of positions.

Reading and folding is most of a rebuild, and every range of positions folds on its own: the
changes of consecutive ranges, merged in order, are the changes of the whole (`merge`). Workers
are forked, so they start at once with everything imported, and each opens its own connection:
nothing of the parent's connections is used in a child. Forking a threaded process is unsafe,
so only a command-line rebuild asks for workers; a rebuild from anywhere else folds in-process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine

from events.db import SQLiteTuning, make_engine, reading, sqlite_tuning
from projections.definitions import FigureIndex
from projections.fold import Changes
from projections.replay import changes_between


class Folders:
    """Folds ranges of the log, in this process or in a pool of forked workers."""

    def __init__(self, engine: Engine, index: FigureIndex, workers: int):
        self.engine = engine
        self.index = index
        self.workers = workers if "fork" in multiprocessing.get_all_start_methods() else 1
        self._pool: Any = None

    def __enter__(self) -> Folders:
        if self.workers > 1:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()

    def start(self, after: int, upto: int) -> Folding:
        """Begin folding the events after `after` up to `upto`: in the background with workers,
        when its result is asked for without."""
        if self._pool is None:
            return Folding(lambda: self._here(after, upto))
        url = self.engine.url.render_as_string(hide_password=False)
        step = -(-(upto - after) // self.workers)
        ranges = [(start, min(start + step, upto)) for start in range(after, upto, step)]
        tuning = sqlite_tuning(self.engine)
        parts = self._pool.starmap_async(
            _fold_in_worker, [(url, tuning, self.index, a, b) for a, b in ranges]
        )
        return Folding(lambda: merge(parts.get()))

    def _here(self, after: int, upto: int) -> Changes:
        with reading(self.engine) as connection:
            return changes_between(connection, self.index, after, upto)


class Folding:
    """The changes of one range of the log, once they are asked for."""

    def __init__(self, finish: Callable[[], Changes]):
        self._finish = finish

    def result(self) -> Changes:
        return self._finish()


def merge(parts: Sequence[Changes]) -> Changes:
    """The changes of consecutive ranges, in order, as one: a later range's void of an event
    of an earlier one removes what that range added."""
    whole = Changes()
    for part in parts:
        for key, value in part.totals.items():
            whole.totals[key] += value
        for member, count in part.members.items():
            whole.members[member] += count
        for place, count in part.activity.items():
            whole.activity[place] += count
        for slot, referrals in part.referrals.items():
            whole.referrals.setdefault(slot, {}).update(referrals)
        for period, returns in part.returns.items():
            whole.returns.setdefault(period, {}).update(returns)
    return whole


_engines: dict[str, Engine] = {}


def _fold_in_worker(
    url: str, tuning: SQLiteTuning, index: FigureIndex, after: int, upto: int
) -> Changes:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url, sqlite=tuning)
    with reading(engine) as connection:
        return changes_between(connection, index, after, upto)
