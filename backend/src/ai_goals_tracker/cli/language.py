"""The language of what `aigt` prints: `--lang` (or `AIGT_LANG`), else the learner's preference as
stored at `aigt login`, else the system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, `LANGUAGE`), else
English. The explicit choice comes first because it is made for this one command.

`_` and `ngettext` mark the command line's texts for `make messages` (domain `cli`) and translate
them. Help texts are built when the commands are defined, before Typer has parsed the arguments, so
the language is first worked out from the raw command line; the root callback then settles it from
the parsed `--lang`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from ai_goals_tracker.cli.credentials import CredentialStore
from ai_goals_tracker.client import DEFAULT_SERVER
from ai_goals_tracker.i18n import Locale, negotiate, system_languages, translate, translate_plural

_chosen: Locale | None = None


def decide(flag: str | None, argv: Sequence[str], environ: Mapping[str, str]) -> Locale:
    server = _option_value(argv, "--server") or environ.get("AIGT_SERVER") or DEFAULT_SERVER
    return negotiate(
        flag or _option_value(argv, "--lang") or environ.get("AIGT_LANG"),
        CredentialStore().language(server),
        *system_languages(environ),
    )


def settle(flag: str | None) -> Locale:
    """Called by the root command once Typer has parsed `--lang`."""
    global _chosen
    _chosen = decide(flag, sys.argv[1:], os.environ)
    return _chosen


def cli_locale() -> Locale:
    global _chosen
    if _chosen is None:
        _chosen = decide(None, sys.argv[1:], os.environ)
    return _chosen


def _(message: str) -> str:
    return translate("cli", cli_locale(), message)


def ngettext(singular: str, plural: str, count: int, **params: object) -> str:
    """The form for `count`, with `{count}` and the other placeholders filled in."""
    return translate_plural("cli", cli_locale(), singular, plural, count, params)


def _option_value(argv: Sequence[str], name: str) -> str | None:
    for index, argument in enumerate(argv):
        if argument == name and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith(f"{name}="):
            return argument.split("=", 1)[1]
    return None
