"""Event data loaded without marshmallow's machinery when it is plainly valid.

Marshmallow's `Schema.load` spends most of its time in generic machinery (an error store, a
closure and a validator chain per field, hook lookups), and an import calls it for every line.
Nearly every line of a real file is valid, so `compile_loader` reads a schema once, at start-up,
and builds a loader from what the schema declares: each field's type, whether it is required,
its validators (`Length`, `Range`, `OneOf`, `Regexp`), and the schema's `@validates` and
`@post_load` hooks, which it calls as marshmallow would. The loader accepts only values it can
prove valid and then returns exactly the dict `load` would; for anything else it returns None
and marshmallow decides, so every error message still comes from the schema. A field type,
validator, option or hook it does not know gives no loader for that schema at all: the schema
stays the single definition of an event's fields, and this module only reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from marshmallow import RAISE, Schema, fields, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import missing

#: What a converter returns for a value it cannot vouch for: marshmallow must look at it.
UNUSUAL: Final = object()

#: A field's value in, its loaded value out (or UNUSUAL).
Convert = Callable[[Any], Any]
#: One validator's rule: True if the value passes it.
Check = Callable[[Any], bool]
#: A `@validates` hook: (bound method, key in the loaded data, key in the input).
FieldHook = tuple[Callable[..., Any], str, str]

#: Choices of these exact types compare in a frozenset as they do in the declared list.
_PLAIN_CHOICES = (str, int, bool)
#: Values a Boolean's truthy and falsy sets can be asked about without a TypeError.
_PLAIN_BOOLEAN_INPUT = (bool, int, str)
#: Schema methods whose marshmallow versions the loader stands in for: overriding one opts out.
_LOAD_METHODS = ("load", "_do_load", "_deserialize", "_invoke_field_validators", "handle_error")


class Loader:
    """Loads one schema's data for the common, valid case; None means "ask marshmallow"."""

    def __init__(
        self,
        schema: Schema,
        fields_in_order: list[tuple[str, str, bool, Convert]],
        field_hooks: list[FieldHook],
    ):
        self._schema = schema
        #: (input key, output key, required, converter) in the schema's field order.
        self._fields = tuple(fields_in_order)
        self._known = frozenset(key for key, _, _, _ in fields_in_order)
        self._field_hooks = tuple(field_hooks)
        self._post_load = bool(schema._hooks[POST_LOAD])

    def load(self, data: Any) -> dict[str, Any] | None:
        """`schema.load(data)` if `data` is plainly valid, else None (nothing is raised)."""
        if type(data) is not dict or not self._known.issuperset(data):
            return None
        try:
            loaded: dict[str, Any] = {}
            for key, name, required, convert in self._fields:
                if key in data:
                    value = convert(data[key])
                    if value is UNUSUAL:
                        return None
                    loaded[name] = value
                elif required:
                    return None
            for hook, name, key in self._field_hooks:
                if name in loaded and hook(loaded[name], data_key=key) is missing:
                    del loaded[name]
            if self._post_load:
                # marshmallow's own runner, so hook order and arguments are exactly its own.
                schema = self._schema
                processed: dict[str, Any] = schema._invoke_load_processors(
                    POST_LOAD, loaded, many=False, original_data=data,
                    partial=schema.partial, unknown=schema.unknown,
                )
                return processed
        except Exception:  # a hook's refusal or anything unforeseen: marshmallow decides
            return None
        return loaded


def compile_loader(schema: Schema) -> Loader | None:
    """A loader for `schema`, or None if it declares anything the loader does not know."""
    cls = type(schema)
    if any(getattr(cls, name) is not getattr(Schema, name) for name in _LOAD_METHODS):
        return None
    if (schema.many or schema.partial or schema.unknown != RAISE or schema.dict_class is not dict
            or schema._hooks[PRE_LOAD] or schema._hooks[VALIDATES_SCHEMA]):
        return None
    fields_in_order: list[tuple[str, str, bool, Convert]] = []
    for name, field in schema.load_fields.items():
        convert = _converter(field)
        if convert is None or field.load_default is not missing:
            return None
        fields_in_order.append((_input_key(name, field), name, bool(field.required), convert))
    field_hooks: list[FieldHook] = []
    for attr_name, _, options in schema._hooks[VALIDATES]:
        for name in options["field_names"]:
            hooked = schema.load_fields.get(name)
            if hooked is None:
                return None
            field_hooks.append((getattr(schema, attr_name), name, _input_key(name, hooked)))
    return Loader(schema, fields_in_order, field_hooks)


def _input_key(name: str, field: fields.Field) -> str:
    return field.data_key if field.data_key is not None else name


def _converter(field: fields.Field) -> Convert | None:
    """The field's load as one function, or None for a field this module does not know."""
    if field.attribute is not None or field.pre_load or field.post_load:
        return None
    checks = _checks(field.validators)
    if checks is None:
        return None
    kind = type(field)
    if kind is fields.String:
        return _checked(lambda value: value if type(value) is str else UNUSUAL, checks)
    if kind is fields.Integer:
        # An exact int loads as itself, strict or not; bools and the rest go to marshmallow.
        return _checked(lambda value: value if type(value) is int else UNUSUAL, checks)
    if kind is fields.Boolean and isinstance(field, fields.Boolean):
        return _boolean(field, checks)
    if kind is fields.List and isinstance(field, fields.List):
        inner = _converter(field.inner)
        return None if inner is None else _checked(_list_of(inner), checks)
    return None


def _checked(convert: Convert, checks: tuple[Check, ...]) -> Convert:
    if not checks:
        return convert

    def convert_and_check(value: Any) -> Any:
        loaded = convert(value)
        if loaded is UNUSUAL:
            return UNUSUAL
        for check in checks:
            if not check(loaded):
                return UNUSUAL
        return loaded

    return convert_and_check


def _boolean(field: fields.Boolean, checks: tuple[Check, ...]) -> Convert | None:
    truthy, falsy = frozenset(field.truthy), frozenset(field.falsy)
    if not truthy:  # marshmallow then takes bool(value) of anything
        return None

    def convert(value: Any) -> Any:
        if type(value) not in _PLAIN_BOOLEAN_INPUT:
            return UNUSUAL
        if value in truthy:
            return True
        if value in falsy:
            return False
        return UNUSUAL

    return _checked(convert, checks)


def _list_of(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not list:
            return UNUSUAL
        loaded = [inner(each) for each in value]
        return UNUSUAL if any(each is UNUSUAL for each in loaded) else loaded

    return convert


def _checks(validators: list[Any]) -> tuple[Check, ...] | None:
    """Each validator as a plain test, or None if one of them is of a kind not known here."""
    checks: list[Check] = []
    for validator in validators:
        check = _check(validator)
        if check is None:
            return None
        checks.append(check)
    return tuple(checks)


def _check(validator: Any) -> Check | None:
    kind = type(validator)
    if kind is validate.Length:
        return _length(validator.min, validator.max, validator.equal)
    if kind is validate.Range:
        return _range(validator)
    if kind is validate.OneOf:
        choices = validator.choices
        if type(choices) not in (list, tuple) or any(type(c) not in _PLAIN_CHOICES for c in choices):
            return None
        allowed = frozenset(choices)
        return lambda value: value in allowed
    if kind is validate.Regexp:
        match = validator.regex.match
        return lambda value: match(value) is not None
    return None


def _length(low: int | None, high: int | None, equal: int | None) -> Check:
    if equal is not None:
        return lambda value: len(value) == equal
    low_bound = low if low is not None else 0
    if high is None:
        return lambda value: len(value) >= low_bound
    return lambda value: low_bound <= len(value) <= high


def _range(validator: validate.Range) -> Check:
    low, high = validator.min, validator.max
    low_inclusive, high_inclusive = validator.min_inclusive, validator.max_inclusive

    def check(value: Any) -> bool:
        if low is not None and (value < low if low_inclusive else value <= low):
            return False
        return not (high is not None and (value > high if high_inclusive else value >= high))

    return check
