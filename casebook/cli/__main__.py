"""The `casebook` console script (also `python -m casebook.cli`): every command, in the app's context."""

from __future__ import annotations

from flask.cli import ScriptInfo

from casebook import create_app
from casebook.cli import command_group


def main() -> None:
    """Run the `casebook` command group, building the app when a command first needs it."""
    command_group().main(prog_name="casebook", obj=ScriptInfo(create_app=create_app))


if __name__ == "__main__":
    main()
