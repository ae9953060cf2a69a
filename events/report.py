"""What an append or an import did: the events stored, the duplicates skipped, the lines refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.model import StoredEvent
from events.rules import RuleBroken


@dataclass(frozen=True)
class LineError:
    """One reason one input event was refused: `line` counts from 1 in the input."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class AppendReport:
    """What an append or import did: stored events, skipped duplicates, refused lines."""

    stored: list[StoredEvent] = field(default_factory=list)
    #: Ids already stored with the same content: skipped, as sending an event twice stores it once.
    duplicates: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    #: Ids already stored with other content (each also among `errors`, under "id").
    reused: list[str] = field(default_factory=list)
    written: int = 0

    def refuse(self, line: int, broken: RuleBroken) -> None:
        """Note a rule the event on `line` broke."""
        self.errors.append(LineError(line, broken.field, broken.message))
