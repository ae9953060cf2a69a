"""`casebook plan show|check|adopt|history` (spec §8), on both databases."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import Engine

from events.db import make_engine
from projections.plan import to_toml
from projections.tables import plans
from tests.helpers import referral
from tests.test_projections.test_default_plans import PRIORITIES_2025_26

ADDED = {"id": "davss.from_police", "label": "Referrals to DAVSS from the police",
         "scheme": "davss", "types": ["referral.received"], "measure": "count",
         "where": {"source": "police"}}
REMOVED = "soc.meetings"
CHANGED = "davss.referrals"

#: Referrals in three quarters of 2025/26 and one of 2024/25.
REFERRALS = [
    referral(occurred_at="2024-06-03", risk="high"),
    referral(occurred_at="2025-05-06", risk="high"),
    referral(occurred_at="2025-05-07", risk="standard"),
    referral(occurred_at="2025-08-04", risk="standard", source="police"),
    referral(occurred_at="2025-11-03", risk="high", source="police"),
]


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    """A second way into the app's database, to see what the commands stored."""
    found = make_engine(database_url)
    yield found
    found.dispose()


def _run(runner: FlaskCliRunner, *args: str) -> Any:
    return runner.invoke(args=["casebook", *args])


def _ok(runner: FlaskCliRunner, *args: str) -> str:
    result = _run(runner, *args)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _import(runner: FlaskCliRunner, tmp_path: Path, lines: list[dict[str, Any]]) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    _ok(runner, "import", str(path))


def _stored(database: Engine) -> list[tuple[Any, ...]]:
    with database.connect() as connection:
        return [tuple(row) for row in connection.execute(
            sa.select(plans).order_by(plans.c.year, plans.c.version))]


def _shown(runner: FlaskCliRunner, year: str = "2025/26") -> dict[str, Any]:
    return tomllib.loads(_ok(runner, "plan", "show", "--year", year))


def _edited(runner: FlaskCliRunner, tmp_path: Path, reason: str | None = "Police referrals "
            "are now a figure of their own") -> Path:
    """The 2025/26 plan with a figure added, one removed and one changed."""
    document = _shown(runner)
    document.pop("reason", None)
    if reason is not None:
        document["reason"] = reason
    figures = [f for f in document["figure"] if f["id"] != REMOVED]
    changed = next(f for f in figures if f["id"] == CHANGED)
    changed["where"] = {"risk": "high"}
    document["figure"] = [*figures, ADDED]
    path = tmp_path / "plan-2025-26.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    return path


def test_plan_show_prints_the_2025_26_plan_with_seed_003s_priorities_that_check_accepts(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    shown = _ok(runner, "plan", "show", "--year", "2025/26")

    document = tomllib.loads(shown)
    assert document["year"] == "2025/26"
    assert [(p["name"], p["schemes"]) for p in document["priority"]] == PRIORITIES_2025_26
    path = tmp_path / "shown.toml"
    path.write_text(shown, encoding="utf-8")
    checked = _run(runner, "plan", "check", str(path))
    assert checked.exit_code == 0, checked.output
    assert "Nothing changes against the 2025/26 plan in force." in checked.stdout


def test_plan_show_prints_json_with_the_version(runner: FlaskCliRunner) -> None:
    document = json.loads(_ok(runner, "plan", "show", "--year", "2025/26", "--format", "json"))

    assert document["version"] == 1
    assert document["year"] == "2025/26"
    assert [p["name"] for p in document["priority"]] == [p for p, _ in PRIORITIES_2025_26]
    # The same plan as the TOML (which has no way to write an empty list of tables).
    assert document["vocabulary"] == []
    assert {k: v for k, v in document.items() if v != []} == {**_shown(runner), "version": 1}


def test_plan_show_of_a_later_year_shows_the_plan_in_force_for_it(
    runner: FlaskCliRunner,
) -> None:
    assert _shown(runner, "2027/28") == _shown(runner, "2025/26")
    assert _shown(runner, "2019/20")["year"] == "2024/25"


def test_plan_show_version_1_after_a_second_adoption_shows_the_first(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    first = _ok(runner, "plan", "show", "--year", "2025/26")
    _ok(runner, "plan", "adopt", str(_edited(runner, tmp_path)))

    assert _ok(runner, "plan", "show", "--year", "2025/26", "--version", "1") == first
    latest = _shown(runner)
    assert ADDED["id"] in {f["id"] for f in latest["figure"]}
    assert json.loads(_ok(runner, "plan", "show", "--year", "2025/26", "--format", "json",
                          "--version", "2"))["version"] == 2


def test_plan_show_of_a_version_that_does_not_exist_is_a_clear_error(
    runner: FlaskCliRunner,
) -> None:
    result = _run(runner, "plan", "show", "--year", "2025/26", "--version", "3")

    assert result.exit_code == 1
    assert "The 2025/26 plan has no version 3: it has versions 1 to 1." in result.stderr
    assert result.stdout == ""


def test_plan_check_of_a_bad_file_prints_every_problem_and_writes_nothing(
    runner: FlaskCliRunner, tmp_path: Path, database: Engine
) -> None:
    document = _shown(runner)
    document["figure"] += [
        {**ADDED, "scheme": "nowhere"},
        {**ADDED, "id": "asb.cpw"},
        {**ADDED, "id": "davss.closures", "types": ["case.shut"]},
    ]
    document["priority"][0]["schemes"].append("davss")
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    history = _ok(runner, "plan", "history", "--format", "json")
    stored = _stored(database)

    for command in ("check", "adopt"):
        result = _run(runner, "plan", command, str(path), "--reason", "test") \
            if command == "adopt" else _run(runner, "plan", command, str(path))

        assert result.exit_code == 1, result.output
        problems = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
        assert problems == [
            "Problem: priority Safeguarding people at risk of harm: schemes: davss is also in "
            "priority Acquisitive crime",
            "Problem: figure davss.from_police: scheme: unknown scheme 'nowhere'",
            "Problem: figure asb.cpw: id: two figures have this id",
            "Problem: figure davss.closures: types: unknown event type 'case.shut'",
        ], result.stderr
        assert "4 problems found: nothing was written." in result.stderr
        assert _ok(runner, "plan", "history", "--format", "json") == history
        assert _stored(database) == stored


def test_plan_check_of_malformed_toml_names_the_line(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('year = "2025/26"\n\n[[priority]\nname = "x"\n', encoding="utf-8")

    result = _run(runner, "plan", "check", str(path))

    assert result.exit_code == 1
    assert "Problem: plan file: line 3: not valid TOML" in result.stderr


def test_plan_check_of_a_good_file_prints_what_would_change_and_writes_nothing(
    runner: FlaskCliRunner, tmp_path: Path, database: Engine
) -> None:
    _import(runner, tmp_path, REFERRALS)
    path = _edited(runner, tmp_path)
    history = _ok(runner, "plan", "history", "--format", "json")
    stored = _stored(database)
    summary = _ok(runner, "summary", "--year", "2025/26")

    printed = _ok(runner, "plan", "check", str(path))

    lines = printed.splitlines()
    added = lines.index("Figures added (1):")
    assert lines[added + 1] == "  davss.from_police: Referrals to DAVSS from the police"
    assert lines[added + 2] == ('    now: priority = "Safeguarding people at risk of harm", '
                                'scheme = "davss", types = ["referral.received"], '
                                'measure = "count", where = {"source": "police"}')
    assert lines[added + 3] == "    2025/26: Q1 0, Q2 1, Q3 1, Q4 0"
    assert lines[added + 4] == "    2024/25: Q1 0, Q2 0, Q3 0, Q4 0"
    changed = lines.index("Figures changed (1):")
    assert lines[changed + 1].startswith("  davss.referrals: ")
    assert lines[changed + 1].endswith(" (redefined)")
    assert lines[changed + 2].startswith("    was: ") and "where" not in lines[changed + 2]
    assert lines[changed + 3].startswith("    now: ")
    assert 'where = {"risk": "high"}' in lines[changed + 3]
    assert lines[changed + 4] == "    2025/26: Q1 1, Q2 0, Q3 1, Q4 0"
    assert lines[changed + 5] == "    2024/25: Q1 1, Q2 0, Q3 0, Q4 0"
    removed = lines.index("Figures removed (1):")
    assert lines[removed + 1].startswith(f"  {REMOVED}: ")
    assert lines[-1] == "The plan has no problem: `casebook plan adopt` would adopt it as shown."
    assert _ok(runner, "plan", "history", "--format", "json") == history
    assert _stored(database) == stored
    assert _ok(runner, "summary", "--year", "2025/26") == summary


def test_plan_adopt_without_a_reason_is_refused_and_writes_nothing(
    runner: FlaskCliRunner, tmp_path: Path, database: Engine
) -> None:
    path = _edited(runner, tmp_path, reason=None)
    stored = _stored(database)

    result = _run(runner, "plan", "adopt", str(path))

    assert result.exit_code == 1
    assert "Give a reason: --reason TEXT, or `reason = ...` in the file. Nothing was adopted." \
        in result.stderr
    assert "Adopted" not in result.output
    assert _stored(database) == stored
    blank = _run(runner, "plan", "adopt", str(path), "--reason", "  ")
    assert blank.exit_code == 1 and "Give a reason" in blank.stderr
    assert _stored(database) == stored


def test_plan_adopt_stores_version_2_and_the_summaries_read_it_for_2025_26_only(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, REFERRALS)
    before_2024_25 = _ok(runner, "summary", "--year", "2024/25")
    path = _edited(runner, tmp_path, reason=None)

    printed = _ok(runner, "plan", "adopt", str(path), "--reason", "Police referrals",
                  "--as", "plan-officer")

    assert "Figures added (1):" in printed and "Figures removed (1):" in printed
    assert "  davss.referrals: " in printed and "(redefined)" in printed
    assert printed.splitlines()[-1] == "Adopted the 2025/26 plan, version 2."
    assert _shown(runner)["reason"] == "Police referrals"
    summary = json.loads(_ok(runner, "summary", "--year", "2025/26"))
    assert summary["plan"] == {"year": "2025/26", "version": 2}
    assert summary["figures"]["davss.from_police"]["value"] == 2
    assert REMOVED not in summary["figures"]
    assert summary["figures"][CHANGED]["value"] == 2
    # Like for like: the new definition applied to the year before.
    assert summary["figures"][CHANGED]["previous"] == 1
    assert _ok(runner, "summary", "--year", "2024/25") == before_2024_25
    assert json.loads(before_2024_25)["figures"][CHANGED]["value"] == 1
    quarter = json.loads(_ok(runner, "summary", "--year", "2025/26", "--quarter", "Q3"))
    assert quarter["figures"]["davss.from_police"]["value"] == 1


def test_plan_history_lists_the_default_adoptions_and_a_new_one(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _ok(runner, "plan", "adopt", str(_edited(runner, tmp_path)), "--as", "plan-officer")

    rows = json.loads(_ok(runner, "plan", "history", "--format", "json"))

    assert [(r["year"], r["version"], r["adopted_by"]) for r in rows] == [
        ("2024/25", 1, "casebook init"), ("2025/26", 1, "casebook init"),
        ("2025/26", 2, "plan-officer")]
    assert all(set(r) == {"year", "version", "adopted_at", "adopted_by", "reason"} for r in rows)
    assert rows[1]["reason"] == "Partnership Plan 2025-26, agreed at the March 2025 workshop"
    assert rows[2]["reason"] == "Police referrals are now a figure of their own"
    assert rows[0]["adopted_at"] <= rows[2]["adopted_at"]
    text = _ok(runner, "plan", "history").splitlines()
    assert len(text) == 3 and text[2].startswith("2025/26 v2 ")
    assert text[2].endswith("plan-officer  Police referrals are now a figure of their own")


def test_init_run_again_keeps_every_stored_plan(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, database: Engine
) -> None:
    _ok(runner, "plan", "adopt", str(_edited(runner, tmp_path)))
    history = _ok(runner, "plan", "history", "--format", "json")
    stored = _stored(database)

    printed = _ok(runner, "init")

    assert "the plans stored are kept as they are" in printed
    assert "default plans adopted" not in printed
    assert _ok(runner, "plan", "history", "--format", "json") == history
    assert _stored(database) == stored
    assert json.loads(_ok(runner, "summary", "--year", "2025/26"))["plan"]["version"] == 2


def test_plan_check_names_the_stored_summaries_of_the_years_the_plan_would_change(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _import(runner, tmp_path, REFERRALS)
    for args in (["--year", "2024/25"], ["--year", "2025/26", "--quarter", "Q1"]):
        _ok(runner, "summaries", "generate", *args)

    printed = _ok(runner, "plan", "check", str(_edited(runner, tmp_path)))

    stale = next(line for line in printed.splitlines() if line.startswith("Stored summaries"))
    assert "2025/26 Q1 (version 1)" in stale
    assert "2024/25" not in stale


def test_plan_check_of_a_file_that_is_not_utf_8_is_a_clear_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "latin-1.toml"
    path.write_bytes('year = "2025/26"\nreason = "Caf\u00e9 workshop"\n'.encode("latin-1"))

    result = _run(runner, "plan", "check", str(path))

    assert result.exit_code == 1
    assert "latin-1.toml is not UTF-8 text" in result.stderr
