"""`casebook keys new-file PATH` and `casebook keys wrap`: the key file (`CASEBOOK_KEY_FILE`)
without which a copy of the database opens no personal field."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from casebook.database import engine
from casebook.services.erasure import scrub
from casebook.services.private_files import write_new_private
from events.db import writing
from events.keyfile import KEY_FILE, KeyFileError, key_encryption_key, new_key_text
from events.subjects import wrap_stored_keys


@click.group("keys")
def keys_group() -> None:
    """The key file that wraps the subject keys, kept outside the database."""


@keys_group.command("new-file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_file_command(path: Path) -> None:
    """Write a new key file at PATH, readable by its owner only."""
    if not write_new_private(path, new_key_text()):
        click.echo(f"{path} exists already: a key file is never replaced, as the keys wrapped "
                   "with it could not be read again. Choose another path.", err=True)
        sys.exit(1)
    click.echo(f"Wrote the key file {path}. Set {KEY_FILE}={path} for every casebook process "
               "(web, scheduler, command line), then run `casebook keys wrap`. Keep a copy "
               "apart from the database and its backups: without it no personal field can be "
               "read again.")


@keys_group.command("wrap")
def wrap_command() -> None:
    """Wrap every subject key and the lookup secret still stored plain with the key file."""
    try:
        if key_encryption_key() is None:
            click.echo(f"{KEY_FILE} is not set: name the key file (`casebook keys new-file` "
                       "writes one). Nothing was wrapped.", err=True)
            sys.exit(1)
        wrapped = wrap_stored_keys_now()
    except KeyFileError as error:
        click.echo(f"{error} Nothing was wrapped.", err=True)
        sys.exit(1)
    click.echo(f"{wrapped} key{'' if wrapped == 1 else 's'} wrapped with the key file; a copy "
               "of the database alone can no longer open personal data.")


def wrap_stored_keys_now() -> int:
    """Wrap what is stored plain, and leave no plain copy in SQLite's write-ahead log."""
    with writing(engine()) as connection:
        wrapped = wrap_stored_keys(connection)
    if wrapped:
        scrub(engine())
    return wrapped
