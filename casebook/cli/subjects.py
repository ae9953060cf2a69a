"""`casebook erase SUBJECT | --case REF` and `casebook subject-export SUBJECT`: the data
subject's rights."""

from __future__ import annotations

import getpass
import json
import sys
from typing import IO

import click

from casebook.database import engine
from casebook.services.access_log import log_access
from casebook.services.erasure import CaseUnknown, Erasure, erase_case, erase_subject, scrub
from casebook.services.private_files import PrivateFile
from casebook.services.subject_access import subject_access
from events.db import reading, writing
from events.subjects import ERASED_SUBJECT_PREFIX, SubjectUnknown


@click.command("erase")
@click.argument("subject", required=False)
@click.option("--case", "case_ref", default=None, metavar="REF",
              help="Erase a whole case instead: its own key and every subject only in it.")
@click.option("--as", "user", default=None, help="Who is recording the erasure.")
def erase_command(subject: str | None, case_ref: str | None, user: str | None) -> None:
    """Erase everything personal held about SUBJECT (or in the case REF); every figure stays
    as it was."""
    if (subject is None) == (case_ref is None):
        raise click.UsageError("Name a SUBJECT, or a case with --case REF (not both).")
    who = user or getpass.getuser()
    try:
        with writing(engine()) as connection:
            if case_ref is not None:
                erasure = erase_case(connection, case_ref, erased_by=who)
                target = f"case {case_ref}"
            else:
                erasure = erase_subject(connection, subject or "", erased_by=who)
                target = f"subject key {erasure.destroyed[0].key_id}"
            keys = ", ".join(k.key_id for k in erasure.destroyed[1:])
            log_access(connection, who, "erase", f"{target}{'; keys ' if keys else ''}{keys}"[:500])
    except (SubjectUnknown, CaseUnknown) as error:
        click.echo(f"{error} Nothing was erased.", err=True)
        sys.exit(1)
    for line in _report(erasure, case_ref):
        click.echo(line)
    if not scrub(engine()):
        click.echo("Warning: other connections were reading, so SQLite's write-ahead log still "
                   "holds the destroyed keys until its next checkpoint. Run the command again "
                   "when casebook is quiet.", err=True)


def _report(erasure: Erasure, case_ref: str | None) -> list[str]:
    """What was erased, what stays readable and why, in plain words."""
    lines = []
    if case_ref is None:
        first = erasure.destroyed[0]
        lines.append(f"Erased: the key {first.key_id} is destroyed, so the personal fields of "
                     f"{_events(first.events_sealed)} can no longer be read.")
    else:
        subjects = len(erasure.destroyed) - len(erasure.cases_erased)
        lines.append(f"Erased the case {case_ref}: "
                     + ("its own key is destroyed, and " if erasure.cases_erased else "")
                     + f"the keys of {subjects} subject{_s(subjects)} who were only in it.")
    if erasure.cases_erased and case_ref is None:
        sealed = sum(k.events_sealed for k in erasure.destroyed[1:])
        lines.append(f"The own keys of the cases only this subject was in are destroyed too "
                     f"({', '.join(erasure.cases_erased)}): their outcomes and reasons "
                     f"({_events(sealed)}) can no longer be read.")
    if erasure.shared_cases or erasure.kept_subjects:
        lines.append("Still readable, and why:")
    for shared, (others, sealed) in sorted(erasure.shared_cases.items()):
        lines.append(f"  {shared}: shared with {others} other subject{_s(others)}, so the case's "
                     f"own free text ({_events(sealed)}) stays readable for them; when no one "
                     f"needs it, erase the case with `casebook erase --case {shared}`.")
    for key_id, elsewhere in sorted(erasure.kept_subjects.items()):
        lines.append(f"  the subject with key {key_id} is also in {', '.join(elsewhere)}: their "
                     "key is kept, so their reference in this case stays readable; erase them "
                     "with `casebook erase SUBJECT` if that is what is needed.")
    lines.append("Recorded as event" + _s(len(erasure.destroyed)) + " "
                 + ", ".join(k.event.event_id for k in erasure.destroyed) + ".")
    lines.append("Figures are unchanged.")
    return lines


def _events(count: int) -> str:
    return f"{count} event{_s(count)}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


@click.command("subject-export")
@click.argument("subject")
@click.option("--out", "file", type=PrivateFile(), default="-",
              show_default=True, help="Where to write the JSON document.")
def subject_export_command(subject: str, file: IO[str]) -> None:
    """Write everything held about SUBJECT (every event, decrypted) as one JSON document;
    after an erasure, ask for `erased:<key id>` to see what is still held."""
    try:
        with reading(engine()) as connection:
            document = subject_access(connection, subject)
    except SubjectUnknown as error:
        hint = "" if subject.startswith(ERASED_SUBJECT_PREFIX) else (
            " If they were erased, their reference can no longer be linked to anything held: "
            "what is still held about them (events without their personal fields, counted in "
            f"the figures) is listed by `casebook subject-export {ERASED_SUBJECT_PREFIX}<key id>`"
            ", with the key id from the erasure's report.")
        click.echo(f"{error}{hint}", err=True)
        sys.exit(1)
    with writing(engine()) as connection:
        # The key id, never the reference: the log must not itself hold personal data.
        log_access(connection, getpass.getuser(), "subject-export", f"subject key {document['key_id']}")
    file.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    click.echo(f"{len(document['events'])} events held about the subject.", err=True)
