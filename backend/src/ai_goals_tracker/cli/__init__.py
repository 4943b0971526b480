"""The `aigt` command line.

Typer writes its own words (the `Options` and `Commands` panels, `[default: …]`, its errors)
through the standard library's `gettext` functions, which it binds when first imported. Those
functions are pointed at the command line's catalog here, before Typer is imported, so that a
learner's `aigt --help` is in their language around the texts of the commands too.
"""

import gettext


def _framework_gettext(message: str) -> str:
    from ai_goals_tracker.cli.language import framework_gettext

    return framework_gettext(message)


def _framework_ngettext(msgid1: str, msgid2: str, n: int) -> str:
    from ai_goals_tracker.cli.language import framework_ngettext

    return framework_ngettext(msgid1, msgid2, n)


gettext.gettext = _framework_gettext
gettext.ngettext = _framework_ngettext
