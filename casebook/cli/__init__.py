"""The `casebook` command line: every command is added to its group here, and the group to the app."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from casebook.cli import (
    data,
    keys,
    people,
    plan,
    protection,
    retention,
    serve,
    subjects,
    summaries,
)

#: Every command and group under `casebook`: add a line here to add one.
COMMANDS: list[click.Command] = [
    data.init_command,
    data.import_command,
    data.export_command,
    data.rebuild_command,
    data.summary_command,
    data.demo_command,
    serve.prepare_command,
    serve.serve_command,
    people.user_group,
    people.token_group,
    keys.keys_group,
    subjects.erase_command,
    subjects.subject_export_command,
    retention.retention_group,
    protection.verify_command,
    protection.grant_runtime_command,
    summaries.summaries_group,
    summaries.scheduler_command,
    plan.plan_group,
]


@with_appcontext
def _in_the_app() -> None:
    """Every `casebook` command runs in the app's context (pushed here, kept for the subcommand)."""


def command_group() -> AppGroup:
    """The `casebook` group holding every command in COMMANDS."""
    group = AppGroup("casebook", help="Manage the casebook database and its figures.",
                     callback=_in_the_app)
    for command in COMMANDS:
        group.add_command(command)
    return group


def init_app(app: Flask) -> None:
    """Add the `casebook` command group to `app` (also `flask --app wsgi casebook ...`)."""
    app.cli.add_command(command_group())
