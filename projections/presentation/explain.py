"""A figure's definition in words, as the dashboard, summaries and drill-downs show it.

"Counts notice issued events in ASB casework where the notice is a Community Protection
Warning; voided events are left out." Every word comes from the definition, the event types'
titles, the schemas' labels and choices and the plan's vocabulary: no measure or field id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from events.types import EVENT_TYPES, VOIDED, schema_of
from projections.definitions import Figure

#: Field -> value -> label: the values a plan's vocabulary added (`Plans.vocabulary`).
Vocabulary = Mapping[str, Mapping[str, str]]

#: How a field is named in a sentence where its form label does not read as a noun.
_NOUNS = {
    "source": "source of the referral",
    "recommendations": "number of recommendations made",
    "attendees": "number of attendees",
    "people": "number of people engaged",
    "value": "value returned",
}
#: Fields whose values are kinds of thing, said with "a" or "an": "the notice is a …".
_WITH_ARTICLE = frozenset({"notice", "panel"})
#: Yes-or-no fields said as a whole: (where true, where false).
_YES_NO = {"met": ("the threshold was met", "the threshold was not met"),
           "complied": ("the notice was complied with", "the notice was not complied with")}
#: The people the `active` measure counts: type prefix -> (plural, preposition, joining verb).
_ACTIVE = {"member": ("members", "of", "joined"), "participant": ("participants", "in", "enrolled")}
ENDING = "; voided events are left out."


@dataclass(frozen=True)
class Part:
    """A piece of the sentence; `emphasis` marks a name (an event type, a field, an indicator)."""

    text: str
    emphasis: bool = False


def explain(figure: Figure, scheme_names: Mapping[str, str],
            vocabulary: Vocabulary | None = None) -> str:
    """The figure's definition as one plain sentence."""
    return "".join(part.text for part in explain_parts(figure, scheme_names, vocabulary))


def explain_html(figure: Figure, scheme_names: Mapping[str, str],
                 vocabulary: Vocabulary | None = None) -> Markup:
    """The sentence as HTML, its names in italics (every text escaped)."""
    return Markup("").join(
        Markup("<em>{}</em>").format(part.text) if part.emphasis else escape(part.text)
        for part in explain_parts(figure, scheme_names, vocabulary)
    )


def explain_parts(figure: Figure, scheme_names: Mapping[str, str],
                  vocabulary: Vocabulary | None = None) -> tuple[Part, ...]:
    """The sentence in parts, so that a page can set the names in italics."""
    words = _Words(figure, vocabulary or {})
    scheme = Part(scheme_names.get(figure.scheme) or figure.scheme)
    where = [Part(words.conditions())] if figure.where else []
    breakdown = [Part(words.breakdown())] if figure.breakdown else []
    tail = [*where, *breakdown]
    if figure.measure == "count":
        parts = [Part("Counts "), *words.events(), Part(" in "), scheme, *tail]
    elif figure.measure == "sum":
        parts = [Part("Adds up the "), Part(words.label(figure.argument or ""), True),
                 Part(" of "), *words.events(), Part(" in "), scheme, *tail]
    elif figure.measure == "distinct" and figure.argument == "case":
        parts = [Part("Counts the different cases with "), *words.events(), Part(" in "),
                 scheme, *tail]
    elif figure.measure == "distinct":
        parts = [Part("Counts the different "), Part(_plural(words.noun(figure.argument or "")),
                                                     True),
                 Part(" of "), *words.events(), Part(" in "), scheme, *tail,
                 Part(" (each once in the period)")]
    elif figure.measure == "active":
        parts = words.active(scheme)
    elif figure.measure == "repeat-rate":
        again = (" whose subject had another such referral in the previous 12 months" if where
                 else " whose subject was referred there before in the previous 12 months")
        parts = [Part("The share of referrals in "), scheme, *where, Part(again)]
    else:  # latest-return
        parts = [Part("The partner's latest return of "), Part(figure.argument or "", True),
                 Part(" for the quarter in "), scheme, *where,
                 Part(" (a later return for a quarter replaces an earlier one; the year adds "
                      "up its quarters)")]
    return (*parts, Part(ENDING))


class _Words:
    """The words of one figure's types, fields and values."""

    def __init__(self, figure: Figure, vocabulary: Vocabulary):
        self.figure = figure
        self.vocabulary = vocabulary

    def events(self) -> list[Part]:
        """Its event types: "notice issued events", "a or b events", "events of any kind"."""
        types = self.figure.types
        if set(EVENT_TYPES) - {VOIDED} <= set(types):
            return [Part("events of any kind")]
        parts: list[Part] = []
        for n, type_name in enumerate(types):
            if n:
                parts.append(Part(" or " if n == len(types) - 1 else ", "))
            parts.append(Part(_type_title(type_name), True))
        return [*parts, Part(" events")]

    def declared(self, name: str) -> Any:
        """The field called `name` in the first of the figure's types that has it."""
        for type_name in self.figure.types:
            found = schema_of(type_name).fields.get(name)
            if found is not None:
                return found
        return None

    def label(self, name: str) -> str:
        declared = self.declared(name)
        label = declared.metadata.get("label") if declared is not None else None
        return sentence_case(label) if label else name.replace("_", " ")

    def noun(self, name: str) -> str:
        return _NOUNS.get(name) or self.label(name)

    def conditions(self) -> str:
        """ " where the notice is a …, the risk level is high and …"."""
        said = [self.condition(name, wanted) for name, wanted in self.figure.where.items()]
        return " where " + _listed(said, "and")

    def condition(self, name: str, wanted: Any) -> str:
        subject = f"the {self.noun(name)}"
        if isinstance(wanted, Mapping):
            bounds = [f"at least {wanted['min']:,}" if "min" in wanted else "",
                      f"at most {wanted['max']:,}" if "max" in wanted else ""]
            return f"{subject} is {' and '.join(b for b in bounds if b)}"
        if isinstance(wanted, bool):
            if name in _YES_NO:
                return _YES_NO[name][0 if wanted else 1]
            return f"the answer to “{self.label(name)}” is {'yes' if wanted else 'no'}"
        if isinstance(wanted, int | float):
            return f"{subject} is {wanted:,}"
        return f"{subject} is {self.value(name, str(wanted))}"

    def value(self, name: str, wanted: str) -> str:
        """A value as its label says it ("a Community Protection Warning"), free text quoted."""
        declared = self.declared(name)
        metadata = declared.metadata if declared is not None else {}
        choices = {**metadata.get("choices", {}), **self.vocabulary.get(name, {})}
        if not choices and not metadata.get("vocabulary"):
            return f"“{wanted}”"
        label = choices.get(wanted) or wanted.replace("-", " ")
        said = sentence_case(_without_abbreviation(label))
        return _with_article(said) if name in _WITH_ARTICLE else said

    def breakdown(self) -> str:
        return ", broken down by " + _listed([self.noun(b) for b in self.figure.breakdown], "and")

    def active(self, scheme: Part) -> list[Part]:
        """Who is active at the end of the period: everyone who joined and has not left since."""
        kinds = sorted({t.partition(".")[0] for t in self.figure.types} & set(_ACTIVE))
        whom = _listed([_ACTIVE[k][0] for k in kinds], "and") or "people"
        preposition = _ACTIVE[kinds[0]][1] if kinds else "of"
        joined = _listed([_ACTIVE[k][2] for k in kinds], "or") or "joined"
        starts = any(self.figure.active_step(t) > 0 for t in self.figure.types)
        ends = any(self.figure.active_step(t) < 0 for t in self.figure.types)
        if starts and ends:
            how = f" active at the end of the period: {joined} and not since left"
        elif starts:
            how = f" {joined} by the end of the period (leavings are not taken off)"
        else:
            how = " who left by the end of the period, taken off as a negative number"
        where = [Part(self.conditions())] if self.figure.where else []
        return [Part(f"Counts the {whom} {preposition} "), scheme, Part(how), *where]


def _type_title(type_name: str) -> str:
    """An event type as a sentence says it: "notice issued", "ASB Case Review application…"."""
    found = EVENT_TYPES.get(type_name)
    return sentence_case(found.title) if found is not None else type_name.replace(".", " ")


def sentence_case(label: str) -> str:
    """A label as it reads mid-sentence: "Warning letter" -> "warning letter"; names (every
    word but small ones capitalised) and abbreviations ("ASB") stay."""
    words = label.split()
    if not words:
        return label
    first = words[0]
    if len(first) > 1 and not first[1:].islower():
        return label  # an abbreviation, "ASB", "MARAC"
    if any(w[:1].isupper() for w in words[1:]):
        return label  # a name, "Community Protection Warning", "Fixed Penalty Notice for a …"
    return first[:1].lower() + label[1:]


def _without_abbreviation(label: str) -> str:
    """"Community Protection Warning (CPW)" -> "Community Protection Warning"."""
    head, bracket, rest = label.rpartition(" (")
    if bracket and rest.endswith(")") and rest[:-1].isupper():
        return head
    return label


def _with_article(said: str) -> str:
    if said.split(" ", 1)[0].lower() in {"a", "an", "the", "another", "any", "some"}:
        return said
    if said.startswith("other "):
        return "an" + said  # "another notice"
    return ("an " if said[:1].lower() in "aeiou" else "a ") + said


def _plural(noun: str) -> str:
    """"location" -> "locations", "kind of engagement" -> "kinds of engagement"."""
    head, of, rest = noun.partition(" of ")
    words = head.split(" ")
    last = words[-1]
    if last.endswith("s") and not last.endswith("ss"):
        return noun
    if last.endswith("y") and last[-2:-1] not in tuple("aeiou"):
        words[-1] = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        words[-1] = last + "es"
    else:
        words[-1] = last + "s"
    return " ".join(words) + of + rest


def _listed(items: Sequence[str], joiner: str) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"
