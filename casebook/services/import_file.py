"""The FILE `casebook import` reads: a regular file of UTF-8 text, or a clear refusal.

A folder, a device such as /dev/zero or a named pipe is refused before a byte is read (a pipe
is opened without waiting for a writer), and so is a file whose first bytes show it is binary.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
from typing import Any, NoReturn

import click

#: How much of the file is looked at to tell text from binary before importing.
SNIFF_BYTES = 64 * 1024
_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
          (stat.S_ISFIFO, "a pipe"), (stat.S_ISSOCK, "a socket")]


class ImportFile(click.ParamType):
    """A JSON Lines file to import, opened as text (a byte order mark is not part of line 1)."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            # Without blocking: opening a named pipe would otherwise wait for a writer.
            descriptor = os.open(value, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as error:
            self.fail(f"{value!r}: {error.strerror}.", param, ctx)
        problem = _not_a_regular_file(descriptor)
        if problem is not None:
            os.close(descriptor)
            self._refuse(value, problem, param, ctx)
        raw = io.FileIO(descriptor, "rb")
        raw.name = value  # messages and the size check name the file, not its descriptor
        problem = _not_text(raw)
        if problem is not None:
            raw.close()
            self._refuse(value, problem, param, ctx)
        os.set_blocking(descriptor, True)
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig")
        if ctx is not None:
            ctx.call_on_close(text.close)
        return text

    def _refuse(self, value: str, problem: str, param: click.Parameter | None,
                ctx: click.Context | None) -> NoReturn:
        self.fail(f"{value!r} {problem}. Nothing was imported: casebook imports events from a "
                  "JSON Lines file (UTF-8 text) saved on disk.", param, ctx)


def _not_a_regular_file(descriptor: int) -> str | None:
    """Why the open file is no regular file (a folder, a device, a pipe), or None."""
    mode = os.fstat(descriptor).st_mode
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), None)
    return f"is {kind}, not a regular file" if kind else "is not a regular file"


def _not_text(raw: io.FileIO) -> str | None:
    """Why the file's first bytes are no UTF-8 text, or None (the file is rewound)."""
    start = raw.read(SNIFF_BYTES) or b""
    raw.seek(0)
    if b"\0" in start:
        return "holds binary data, not text"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError as error:
        return f"is not UTF-8 text (byte {error.start + 1} cannot be read as UTF-8)"
    return None
