"""422 field messages in the reader's language. Pydantic writes its messages in English; each
error's `type` and `ctx` say the same thing in a form this module can translate. English readers
get Pydantic's own words unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ai_goals_tracker.errors import InvalidValue
from ai_goals_tracker.i18n import N_, NP_, Locale, Message, translate, translate_plural

_MESSAGES: dict[str, Message] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date"),
    "timezone_aware": N_("Input should have timezone info"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or object"),
    "model_attributes_type": N_("Input should be a valid dictionary or object"),
    "list_type": N_("Input should be a valid list"),
    "json_invalid": N_("The body is not valid JSON"),
    "json_type": N_("JSON input should be a string, bytes or bytearray"),
    "not_nullable": N_("{name} cannot be null"),
}
_PLURAL_MESSAGES: dict[str, tuple[tuple[Message, Message], str]] = {
    "string_too_short": (
        NP_("String should have at least {count} character", "String should have at least {count} characters"),
        "min_length",
    ),
    "string_too_long": (
        NP_("String should have at most {count} character", "String should have at most {count} characters"),
        "max_length",
    ),
    "too_short": (
        NP_("List should have at least {count} item", "List should have at least {count} items"),
        "min_length",
    ),
    "too_long": (NP_("List should have at most {count} item", "List should have at most {count} items"), "max_length"),
}
_EMAIL = N_("value is not a valid email address")
_UNKNOWN = N_("Invalid value")
# Pydantic lists the choices of an enum or literal as "'a', 'b' or 'c'".
_CHOICES_JOINER = {"es": " o ", "en": " or "}


def field_errors(errors: Sequence[Mapping[str, Any]], locale: Locale) -> list[dict[str, Any]]:
    """Each error's location, message and type; never the rejected input (a password would end up in logs)."""
    return [{"loc": list(error["loc"]), "msg": field_message(error, locale), "type": error["type"]} for error in errors]


def field_message(error: Mapping[str, Any], locale: Locale) -> str:
    if locale == "en":
        return str(error["msg"])
    kind: str = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error":
        return _value_error(context, locale)
    if kind in _PLURAL_MESSAGES:
        (singular, plural), limit = _PLURAL_MESSAGES[kind]
        return translate_plural("api", locale, singular, plural, int(context[limit]))
    if kind in ("enum", "literal_error") and "expected" in context:
        context["expected"] = str(context["expected"]).replace(" or ", _CHOICES_JOINER[locale])
    message = _MESSAGES.get(kind)
    return translate("api", locale, message, context) if message is not None else translate("api", locale, _UNKNOWN)


def _value_error(context: Mapping[str, Any], locale: Locale) -> str:
    error = context.get("error")
    if isinstance(error, InvalidValue):
        return error.text(locale)
    if "reason" in context:
        # email-validator's reason is English prose; the field and the kind of problem are enough.
        return translate("api", locale, _EMAIL)
    return translate("api", locale, _UNKNOWN)
