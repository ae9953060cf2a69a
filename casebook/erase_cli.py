"""`casebook erase SUBJECT` and `casebook subject-export SUBJECT`: the data subject's rights."""

from __future__ import annotations

import getpass
import json
import sys
from typing import IO

import click

from casebook.access_log import record
from casebook.cli import casebook_group
from casebook.database import engine
from casebook.erasure import erase_subject, subject_access
from events.db import reading, writing
from events.subjects import SubjectUnknown


@casebook_group.command("erase")
@click.argument("subject")
@click.option("--as", "user", default=None, help="Who is recording the erasure.")
def erase_command(subject: str, user: str | None) -> None:
    """Erase everything personal held about SUBJECT; every figure stays as it was."""
    try:
        with writing(engine()) as connection:
            erasure = erase_subject(connection, subject, erased_by=user or getpass.getuser())
            record(connection, user or getpass.getuser(), "erase", f"subject key {erasure.key_id}")
    except SubjectUnknown as error:
        click.echo(f"{error} Nothing was erased.", err=True)
        sys.exit(1)
    events = f"{erasure.events_sealed} event{'' if erasure.events_sealed == 1 else 's'}"
    click.echo(
        f"Erased: the key {erasure.key_id} is destroyed, so the personal fields of {events} "
        f"can no longer be read. Recorded as event {erasure.event.event_id}. "
        "Figures are unchanged."
    )


@casebook_group.command("subject-export")
@click.argument("subject")
@click.option("--out", "file", type=click.File("w", encoding="utf-8", atomic=True), default="-",
              show_default=True, help="Where to write the JSON document.")
def subject_export_command(subject: str, file: IO[str]) -> None:
    """Write everything held about SUBJECT (every event, decrypted) as one JSON document."""
    try:
        with reading(engine()) as connection:
            document = subject_access(connection, subject)
    except SubjectUnknown as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    with writing(engine()) as connection:
        # The key id, never the reference: the log must not itself hold personal data.
        record(connection, getpass.getuser(), "subject-export", f"subject key {document['key_id']}")
    file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    click.echo(f"{len(document['events'])} events held about the subject.", err=True)
