"""A drill-down's rows in words: what each measure's rows are called, the sentence saying how many
there are, and the columns of its CSV download (plain headings, one line a row)."""

from __future__ import annotations

from typing import Any

from casebook.services.figure_rows import Row, Rows
from casebook.services.reads import ListedEvent
from casebook.web.pages import describe
from events.types import EVENT_TYPES, schema_of
from projections.definitions import Figure
from projections.presentation.text import format_value, local_day, local_time

#: The columns saying which event a row is.
EVENT_COLUMNS = ["Event ID", "Event", "Case", "Happened", "Recorded by", "Details"]


def field_label(figure: Figure) -> str:
    """The label its form gives the field a sum adds or a distinct figure counts by."""
    if figure.argument == "case":
        return "Case"
    for type_name in figure.types:
        if type_name in EVENT_TYPES:
            declared = schema_of(type_name).fields.get(figure.argument or "")
            if declared is not None and declared.metadata.get("label"):
                return str(declared.metadata["label"])
    return (figure.argument or "Value").replace("_", " ").replace("-", " ").capitalize()


def row_label(figure: Figure) -> str:
    """The heading of the column saying what a row is."""
    if figure.measure == "distinct":
        return field_label(figure)
    return {"active": "Member", "latest-return": "Quarter"}.get(figure.measure, "Event")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{format_value(n)} {one if n == 1 else many or one + 's'}"


def counted_words(rows: Rows, period: str) -> str:
    """How many rows there are, said as what the figure counts: the number that equals it."""
    figure, n = rows.figure, rows.count
    events = _plural(rows.event_count, "event")
    if figure.measure == "count":
        return f"{events} behind this figure."
    if figure.measure == "sum":
        return f"{events} behind this figure, adding up to {format_value(rows.total)}."
    if figure.measure == "distinct":
        things = (_plural(n, "case") if figure.argument == "case"
                  else f"{format_value(n)} different {field_label(figure).lower()} "
                       f"{'value' if n == 1 else 'values'}")
        return f"{things} behind this figure, from {events}."
    if figure.measure == "repeat-rate":
        return (f"{_plural(rows.repeats, 'repeat')} among {_plural(n, 'referral')} behind this "
                "figure (a repeat: another referral of the same subject in the 12 months before).")
    if figure.measure == "active":
        text = f"{format_value(n)} active at the end of {period}."
        if rows.net != n:
            text += (f" Joinings less leavings come to {format_value(rows.net)}: some joined "
                     "more than once without leaving in between.")
        return text
    text = (f"{_plural(n, 'return')} counted, the last stored for each quarter, adding up to "
            f"{format_value(rows.total)}.")
    if rows.replaced_count:
        text += f" {_plural(rows.replaced_count, 'earlier return')} replaced by a later one."
    return text


def details(listed: ListedEvent) -> str:
    return "; ".join(f"{label}: {text}" for label, text in describe.data_lines(listed.event))


def event_cells(listed: ListedEvent) -> list[Any]:
    event = listed.event
    return [event.event_id, describe.type_title(event.type), event.case_ref,
            describe.occurred(event.occurred_at), event.recorded_by, details(listed)]


def csv_header(figure: Figure) -> list[str]:
    """The CSV's headings for this figure's measure."""
    measure = figure.measure
    if measure == "sum":
        return ["Row", field_label(figure), *EVENT_COLUMNS]
    if measure == "repeat-rate":
        return ["Row", "Repeat", *EVENT_COLUMNS]
    if measure == "distinct":
        return ["Row", field_label(figure), "Events", "First happened", "Last happened",
                "Event IDs"]
    if measure == "active":
        return ["Row", "Member", "Last joined", "Events", "Event IDs"]
    if measure == "latest-return":
        return ["Row", "Quarter", "Value", "Event ID", "Recorded", "Recorded by",
                "Replaced returns"]
    return ["Row", *EVENT_COLUMNS]


def csv_line(figure: Figure, number: int, row: Row) -> list[Any]:
    """One row of the CSV, in the columns of `csv_header`."""
    measure = figure.measure
    if measure == "sum":
        return [number, row.amount, *event_cells(row.first)]
    if measure == "repeat-rate":
        return [number, "yes" if row.repeat else "no", *event_cells(row.first)]
    ids = " ".join(e.event.event_id for e in row.events)
    if measure == "distinct":
        return [number, row.key, len(row.events), describe.occurred(row.first.event.occurred_at),
                describe.occurred(row.events[-1].event.occurred_at), ids]
    if measure == "active":
        return [number, row.key, local_day(last_joined(figure, row)), len(row.events), ids]
    if measure == "latest-return":
        event = row.first.event
        return [number, row.key, row.amount, event.event_id, local_time(event.recorded_at),
                event.recorded_by, "; ".join(replaced_words(e) for e in row.replaced)]
    return [number, *event_cells(row.first)]


def last_joined(figure: Figure, row: Row) -> Any:
    """When the member last joined (or enrolled): they have been active since."""
    joined = [e for e in row.events if figure.active_step(e.event.type) > 0]
    return (joined[-1] if joined else row.events[-1]).event.occurred_at


def replaced_words(listed: ListedEvent) -> str:
    """An earlier return said in a line: its value, when it was recorded and its id."""
    event = listed.event
    return (f"{format_value(event.data.get('value'))}, recorded {local_time(event.recorded_at)}"
            f" (event {event.event_id})")
