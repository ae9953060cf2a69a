"""The command line page: every command of the app's `casebook` group, walked from click's command tree."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click

from casebook.reference.markdown import code, header, table

#: The width usage lines are laid out for.
_WIDTH = 120

INTRO = (
    "`casebook COMMAND` (also `flask --app wsgi casebook COMMAND`). Every command works on the database "
    "named by `CASEBOOK_DATABASE_URL` (any SQLAlchemy URL); unset, a SQLite file in `instance/`. "
    "`casebook COMMAND --help` prints the same as each section below.\n"
)


def _help(command: click.Command) -> str:
    """A command's help text as its `--help` shows it, its paragraphs kept."""
    text = inspect.cleandoc(command.help or command.short_help or "")
    return "\n\n".join(" ".join(paragraph.replace("\b", "").split())
                       for paragraph in text.split("\n\n") if paragraph.strip())


def _argument_row(argument: click.Argument, context: click.Context) -> tuple[str, str]:
    """One argument as a table row: its name and whether it must be given."""
    name = argument.make_metavar(context)
    needed = "required" if argument.required else "optional"
    many = ", any number" if argument.nargs == -1 else ""
    return (code(name), f"argument, {needed}{many}")


def _parameter_rows(command: click.Command, context: click.Context) -> list[tuple[str, str]]:
    """The arguments and options of a command, as its `--help` describes them (`--help` itself left out)."""
    rows = []
    for parameter in command.get_params(context):
        if isinstance(parameter, click.Argument):
            rows.append(_argument_row(parameter, context))
            continue
        if getattr(parameter, "hidden", False) or set(parameter.opts) & set(context.help_option_names):
            continue
        record = parameter.get_help_record(context)
        if record is not None:
            rows.append((code(record[0]), record[1]))
    return rows


def _section(command: click.Command, context: click.Context) -> str:
    """One command's section: its usage, help and parameters."""
    usage = command.get_usage(context).removeprefix("Usage:").strip()
    lines = [f"## {code(context.command_path)}", "", f"    {usage}", "", _help(command), ""]
    rows = _parameter_rows(command, context)
    if isinstance(command, click.Group):
        names = ", ".join(f"[{code(name)}](#{_anchor(f'{context.command_path} {name}')})"
                          for name in _visible(command))
        lines += [f"Commands: {names}.", ""]
    if rows:
        lines.append(table(("option or argument", "what"), rows))
    return "\n".join(lines)


def _anchor(command_path: str) -> str:
    """The id a Markdown renderer gives the heading of this command's section."""
    return command_path.replace(" ", "-")


def _visible(group: click.Group) -> list[str]:
    """The names of a group's commands that its help lists, in its order."""
    return [name for name in sorted(group.commands) if not group.commands[name].hidden]


def walk(command: click.Command, context: click.Context) -> Iterator[str]:
    """The section of `command`, then those of its subcommands, depth first."""
    yield _section(command, context)
    if isinstance(command, click.Group):
        for name in _visible(command):
            child = command.commands[name]
            yield from walk(child, click.Context(child, info_name=name, parent=context))


def page(group: click.Command) -> str:
    """The whole command line page for the `casebook` group."""
    # A fixed width: the usage lines must not wrap with the terminal that runs the generator.
    root = click.Context(group, info_name="casebook", terminal_width=_WIDTH, max_content_width=_WIDTH)
    return "\n".join([header("Command line", ["casebook/cli/"]), INTRO, *walk(group, root)])
