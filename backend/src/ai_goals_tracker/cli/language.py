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

from ai_goals_tracker.api_server import DEFAULT_SERVER
from ai_goals_tracker.cli.credentials import CredentialStore
from ai_goals_tracker.i18n import Locale, negotiate, system_languages, translate, translate_plural, translations

_chosen: Locale | None = None
_flag: str | None = None


def decide(flag: str | None, argv: Sequence[str], environ: Mapping[str, str]) -> Locale:
    server = _option_value(argv, "--server") or environ.get("AIGT_SERVER") or DEFAULT_SERVER
    return negotiate(
        flag or _option_value(argv, "--lang") or environ.get("AIGT_LANG"),
        CredentialStore().language(server),
        *system_languages(environ),
    )


def settle(flag: str | None) -> Locale:
    """Called by the root command once Typer has parsed `--lang`."""
    global _chosen, _flag
    _flag = flag
    _chosen = decide(flag, sys.argv[1:], os.environ)
    return _chosen


def reconsider() -> None:
    """After the stored preference changed (`aigt login`, `aigt language`): the rest of the run follows it."""
    settle(_flag)


def cli_locale() -> Locale:
    global _chosen
    if _chosen is None:
        _chosen = decide(None, sys.argv[1:], os.environ)
    return _chosen


def _(message: str) -> str:
    return translate("cli", cli_locale(), message)


def pgettext(context: str, message: str) -> str:
    """`message` as meant in `context`, where one English word has several translations."""
    return translations("cli", cli_locale()).pgettext(context, message)


def ngettext(singular: str, plural: str, count: int, **params: object) -> str:
    """The form for `count`, with `{count}` and the other placeholders filled in."""
    return translate_plural("cli", cli_locale(), singular, plural, count, params)


def framework_text(text: str) -> str:
    """Marks one of Typer's own texts for `make messages`; Typer translates it itself."""
    return text


# The words Typer prints around ours (help panels, defaults, its errors). Its bundled Click writes
# "Usage:" and "Show this message and exit." without gettext: those two stay English.
FRAMEWORK_TEXTS = (
    framework_text("Options"),
    framework_text("Arguments"),
    framework_text("Commands"),
    framework_text("Error"),
    framework_text("(deprecated) "),
    framework_text("[default: {}]"),
    framework_text("[env var: {}]"),
    framework_text("[required]"),
    framework_text("(dynamic)"),
    framework_text("default: {default}"),
    framework_text("env var: {var}"),
    framework_text("required"),
    framework_text("Aborted."),
    framework_text("Aborted!"),
    framework_text("Try [blue]'{command_path} {help_option}'[/] for help."),
    framework_text("Missing command."),
    framework_text("No such command {name!r}."),
)


def framework_gettext(message: str) -> str:
    """What Typer gets for `gettext.gettext`: its text in the command line's language."""
    return translations("cli", cli_locale()).gettext(message)


def framework_ngettext(singular: str, plural: str, count: int) -> str:
    return translations("cli", cli_locale()).ngettext(singular, plural, count)


def _option_value(argv: Sequence[str], name: str) -> str | None:
    for index, argument in enumerate(argv):
        if argument == name and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith(f"{name}="):
            return argument.split("=", 1)[1]
    return None
