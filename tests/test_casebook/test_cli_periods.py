"""Every command naming a financial year or quarter reads it the same way, and refuses it alike."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from casebook import create_app
from casebook.cli import command_group
from events.quarters import FinancialYear

#: Every command taking `--year` and `--quarter`, as typed after `casebook`.
COMMANDS = [["summary"], ["summaries", "generate"], ["summaries", "missing-returns"]]
QUARTER_SPELLINGS = ["Q3", "q3", " Q3 ", "3"]
NOT_QUARTERS = ["Q5", "Q0", "5", "Q 3", "QQ3", "third", "2024/25 Q3", ""]
NOT_YEARS = ["2024-25", "2024/26", "24/25", "2024"]


def _command(path: list[str]) -> click.Command:
    command: click.Command = command_group()
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.fixture(scope="module")
def parse_only() -> Iterator[FlaskCliRunner]:
    """A runner for commands refused before they run, so before any database is opened."""
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "periods"})
    yield app.test_cli_runner()
    app.extensions["casebook.engine"].dispose()


@pytest.mark.parametrize("spelling", QUARTER_SPELLINGS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_reads_the_same_quarter_spellings(command: list[str], spelling: str) -> None:
    context = _command(command).make_context(command[-1], ["--year", "2024/25", "--quarter", spelling])
    assert (context.params["year"], context.params["quarter"]) == (FinancialYear(2024), 3)


@pytest.mark.parametrize("text", NOT_QUARTERS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_what_is_not_a_quarter_with_the_same_message(
    parse_only: FlaskCliRunner, command: list[str], text: str
) -> None:
    result = parse_only.invoke(args=["casebook", *command, "--year", "2024/25", "--quarter", text])
    assert result.exit_code == 2
    assert f"Invalid value for '--quarter': {text!r} is not a quarter: use Q1, Q2, Q3 or Q4" in result.output


@pytest.mark.parametrize("text", NOT_YEARS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_refuses_what_is_not_a_financial_year_with_the_same_message(
    parse_only: FlaskCliRunner, command: list[str], text: str
) -> None:
    result = parse_only.invoke(args=["casebook", *command, "--year", text, "--quarter", "Q1"])
    assert result.exit_code == 2
    assert (f"Invalid value for '--year': {text!r} is not a financial year like '2024/25'"
            in result.output)


def test_missing_returns_names_a_quarter_with_both_its_year_and_its_number(
    parse_only: FlaskCliRunner,
) -> None:
    for half in (["--year", "2024/25"], ["--quarter", "Q3"]):
        result = parse_only.invoke(args=["casebook", "summaries", "missing-returns", *half])
        assert result.exit_code == 2
        assert "Name a quarter with both --year and --quarter, or neither." in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_quarter_written_as_its_bare_number_is_the_quarter_each_command_acts_on(
    runner: FlaskCliRunner, command: list[str]
) -> None:
    result = runner.invoke(args=["casebook", *command, "--year", "2024/25", "--quarter", "3"])
    assert result.exit_code == 0, result.output
    if command == ["summary"]:
        assert json.loads(result.stdout)["period"] == "Q3"
    else:
        assert "2024/25 Q3" in result.output
