"""Member counts: how often each member (a subject, say) appears in a figure's period, and the
figure's total of distinct members that follows from them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.driver import DriverSQL
from projections import bulk
from projections.fold import Changes, MemberKey

_ROWS_PER_STATEMENT = 500
_MEMBER_KEY = ["figure_id", "kind", "period", "member"]
_MEMBER_CONFLICT = (tuple(_MEMBER_KEY), "n", True)
_MEMBER_COLUMNS = (*_MEMBER_KEY, "n")


def write_members(
    connection: Connection, table: sa.Table, changes: Changes, known: dict[MemberKey, int] | None
) -> None:
    """Add the batch's member changes; a member's first or last appearance moves its total.

    `known`: every member row of the table, kept by a rebuild (updated here); None to read the
    counts back from the database instead.
    """
    touched = {key: dn for key, dn in changes.members.items() if dn}
    if not touched:
        return
    if known is None:
        after = _add_members(connection, table, touched)
        gone = [key for key, n in after.items() if n <= 0]
    else:
        after, gone = _add_known_members(connection, table, touched, known)
    for key, dn in touched.items():
        before = after[key] - dn
        if before <= 0 < after[key]:
            changes.totals[(key[0], key[1], key[2], "", "")] += 1
        elif after[key] <= 0 < before:
            changes.totals[(key[0], key[1], key[2], "", "")] -= 1
    if gone:
        connection.execute(
            sa.delete(table).where(
                table.c.figure_id == sa.bindparam("f"),
                table.c.kind == sa.bindparam("k"),
                table.c.period == sa.bindparam("p"),
                table.c.member == sa.bindparam("m"),
            ),
            [{"f": f, "k": k, "p": p, "m": m} for f, k, p, m in gone],
        )


def _add_known_members(
    connection: Connection, table: sa.Table, touched: dict[MemberKey, int],
    known: dict[MemberKey, int],
) -> tuple[dict[MemberKey, int], list[MemberKey]]:
    """Write counts worked out from `known`: the counts after, and the rows that must go."""
    after = {key: known.get(key, 0) + dn for key, dn in touched.items()}
    # This generation's rows are all in memory: new ones are plain inserts.
    bulk.insert(connection, table, [
        _member_row(key, n) for key, n in after.items() if n > 0 and key not in known
    ])
    bulk.upsert(
        connection, table,
        [_member_row(key, n) for key, n in after.items() if n > 0 and key in known],
        _MEMBER_KEY, "n", add=False,
    )
    gone = [key for key, n in after.items() if n <= 0 and key in known]
    for key, n in after.items():
        if n > 0:
            known[key] = n
        else:
            known.pop(key, None)
    return after, gone


def _member_row(key: MemberKey, n: int) -> dict[str, Any]:
    return {"figure_id": key[0], "kind": key[1], "period": key[2], "member": key[3], "n": n}


def _add_members(
    connection: Connection, table: sa.Table, touched: dict[MemberKey, int]
) -> dict[MemberKey, int]:
    """Add each member's change to its count in one statement (SQLite: per 500); the counts after."""
    driver = DriverSQL.of(connection)
    rows = [(*key, dn) for key, dn in touched.items()]
    if not driver.sqlite:
        found = driver.rows(
            bulk.unnest_statement(table, _MEMBER_CONFLICT, _MEMBER_COLUMNS),
            bulk.columns_of(rows),
        )
        return {(f, k, p, m): n for f, k, p, m, n in found}
    after: dict[MemberKey, int] = {}
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        part = rows[start : start + _ROWS_PER_STATEMENT]
        params = [value for row in part for value in row]
        for figure_id, kind, period, member, n in driver.rows(_add_members_sql(table, len(part)),
                                                              params):
            after[(figure_id, kind, period, member)] = n
    return after


@lru_cache(maxsize=64)
def _add_members_sql(table: sa.Table, count: int) -> str:
    name = table.name
    return (
        f"INSERT INTO {name} (figure_id, kind, period, member, n) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?)"] * count)
        + f" ON CONFLICT (figure_id, kind, period, member) DO UPDATE SET n = {name}.n + excluded.n"
        " RETURNING figure_id, kind, period, member, n"
    )
