"""Files casebook writes that hold personal data or secrets: readable by their owner only (0600).

Each is created with that mode from its first byte (never written, then narrowed), whatever the
process's umask, so no other account on the machine can read one even while it is written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

import click

#: Read and write for the owner, nothing for anyone else.
PRIVATE = 0o600
#: The instance folder: the owner only may list or enter it.
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> None:
    """Make `path` (and its parents) if missing, the folder itself for its owner only."""
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def write_new_private(path: Path, text: str) -> bool:
    """Write `text` to `path` if no file is there, created 0600; False if one already was."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return True


class PrivateOutput:
    """A text file written beside its destination, 0600 from the start, moved there on close."""

    def __init__(self, destination: Path, *, binary: bool = False):
        self.name = str(destination)
        self._destination = destination
        # mkstemp creates its file 0600, and os.replace keeps the mode, so the final file is too.
        descriptor, temporary = tempfile.mkstemp(dir=destination.parent,
                                                 prefix=f".{destination.name}.")
        self._temporary = Path(temporary)
        self._file: IO[Any] = (os.fdopen(descriptor, "wb") if binary
                               else os.fdopen(descriptor, "w", encoding="utf-8"))
        self.closed = False

    def write(self, text: Any) -> int:
        return self._file.write(text)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        """Finish the file and put it in place (a second close does nothing)."""
        if self.closed:
            return
        self.closed = True
        self._file.close()
        os.replace(self._temporary, self._destination)

    def __enter__(self) -> PrivateOutput:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:  # nothing half-written takes the destination's place
            self.closed = True
            self._file.close()
            self._temporary.unlink(missing_ok=True)


class PrivateFile(click.File):
    """An output FILE argument ("-" for standard output) written as a `PrivateOutput`."""

    def __init__(self) -> None:
        super().__init__("w", encoding="utf-8", atomic=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if hasattr(value, "write") or os.fsdecode(value) == "-":
            return super().convert(value, param, ctx)
        try:
            output = PrivateOutput(Path(os.fsdecode(value)))
        except OSError as error:
            self.fail(f"{os.fsdecode(value)!r}: {error.strerror}", param, ctx)
        if ctx is not None:
            ctx.call_on_close(output.close)
        return output
