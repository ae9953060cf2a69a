"""What adopting a plan changes against the plan in force before it (spec §8): figures added,
removed, relabelled or redefined; priorities; vocabulary; each scheme's types.

`plan check` and `plan adopt` print it, the Plan pages show it before saving, and a stored
summary generated after an adoption lists its figures' part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projections.definitions import Figure
from projections.plan import Plan, Word, computation, figure_entry


@dataclass(frozen=True)
class FigureChange:
    """One figure's change: `how` is "added", "removed", "redefined", "relabelled", "moved"
    (to another priority) or "reoriented" (which way is better); a figure may be relabelled and
    redefined at once."""

    figure_id: str
    how: tuple[str, ...]
    old: Figure | None
    new: Figure | None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"figure": self.figure_id, "how": list(self.how)}
        if self.old is not None:
            found["old"] = figure_entry(self.old, None)
        if self.new is not None:
            found["new"] = figure_entry(self.new, None)
        return found


@dataclass
class PlanChanges:
    figures: list[FigureChange] = field(default_factory=list)
    #: The priorities' names in order, before and after (equal where they did not change).
    priorities_before: list[str] = field(default_factory=list)
    priorities_after: list[str] = field(default_factory=list)
    vocabulary: list[Word] = field(default_factory=list)
    #: Scheme -> (types before, types after), for the schemes whose types changed.
    scheme_types: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def of(self, how: str) -> list[FigureChange]:
        return [change for change in self.figures if how in change.how]

    @property
    def empty(self) -> bool:
        return not (self.figures or self.vocabulary or self.scheme_types
                    or self.priorities_before != self.priorities_after)


def plan_changes(before: Plan | None, after: Plan) -> PlanChanges:
    """How `after` differs from `before` (None: there was no plan, so everything is added)."""
    old = {f.id: f for f in before.figures} if before is not None else {}
    new = {f.id: f for f in after.figures}
    changes = PlanChanges(
        priorities_before=[p.name for p in before.priorities] if before is not None else [],
        priorities_after=[p.name for p in after.priorities],
    )
    for figure_id, figure in new.items():
        if figure_id not in old:
            changes.figures.append(FigureChange(figure_id, ("added",), None, figure))
            continue
        was = old[figure_id]
        how = []
        if computation(was) != computation(figure):
            how.append("redefined")
        if was.label != figure.label:
            how.append("relabelled")
        if was.priority != figure.priority:
            how.append("moved")
        if was.better != figure.better:
            how.append("reoriented")  # which way is better: how its changes are coloured
        if how:
            changes.figures.append(FigureChange(figure_id, tuple(how), was, figure))
    for figure_id, figure in old.items():
        if figure_id not in new:
            changes.figures.append(FigureChange(figure_id, ("removed",), figure, None))
    known = {(w.field, w.value, w.label) for w in before.vocabulary} if before else set()
    changes.vocabulary = [w for w in after.vocabulary if (w.field, w.value, w.label) not in known]
    types_before = before.logged_types() if before is not None else {}
    for scheme, types in after.logged_types().items():
        earlier = types_before.get(scheme, frozenset())
        if earlier != types:
            changes.scheme_types[scheme] = (sorted(earlier), sorted(types))
    return changes
