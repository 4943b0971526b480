"""`aigt register|login|logout|whoami`: the account commands of the learner command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from ai_goals_tracker.api_server import DEFAULT_SERVER, ApiError, NotAuthenticatedError, normalize_server
from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    open_client,
    print_json,
    stdout,
)
from ai_goals_tracker.cli.credentials import CredentialStore
from ai_goals_tracker.cli.language import _, cli_locale, reconsider
from ai_goals_tracker.i18n import as_locale, preferred_language

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help=_("Read the password from standard input instead of a prompt."))
]


@handles_api_errors
def register(
    username: Annotated[
        str,
        typer.Option(prompt=_("Username"), help=_("Login name: 3-50 letters, digits, '.', '_' or '-'.")),
    ],
    email: Annotated[str, typer.Option(prompt=_("Email"), help=_("Email address."))],
    full_name: Annotated[str | None, typer.Option(help=_("Name shown to people."))] = None,
    password_stdin: PasswordStdin = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    from ai_goals_tracker.client import ApiClient

    password = (
        _stdin_password()
        if password_stdin
        else typer.prompt(
            _("Password"),
            hide_input=True,
            confirmation_prompt=_("Repeat for confirmation"),
        )
    )
    with ApiClient(server, language=cli_locale()) as client:
        user = client.register(email=email, username=username, password=password, full_name=full_name)
    if as_json:
        print_json(user)
        return
    stdout().print(
        _(
            "Registered [bold]{username}[/] <{email}> on {server}. Now run `aigt login`. "
            "If that email already had an account, no second one was made: sign in to that one."
        ).format(username=escape(user.username), email=escape(user.email), server=normalize_server(server))
    )


@handles_api_errors
def login(
    username: Annotated[
        str | None, typer.Option("--username", "-u", help=_("Username or email (asked when left out)."))
    ] = None,
    password_stdin: PasswordStdin = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    from ai_goals_tracker.client import ApiClient

    if username is None:
        username = typer.prompt(_("Username or email"))
    password = _stdin_password() if password_stdin else typer.prompt(_("Password"), hide_input=True)
    store = CredentialStore()
    with ApiClient(server, language=cli_locale()) as client:
        tokens = client.login(username, password)
        user = client.me()
    store.save(server, tokens, username=user.username)
    # This confirmation and the next commands speak the learner's language.
    store.remember_language(server, preferred_language(user.metadata))
    reconsider()
    if as_json:
        print_json({"server": normalize_server(server), "user": user})
        return
    stdout().print(
        _("Logged in to {server} as [bold]{username}[/].").format(
            server=normalize_server(server), username=escape(user.username)
        )
    )


@handles_api_errors
def logout(server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    store = CredentialStore()
    ended_remotely = False
    with open_client(server) as client:
        if client.tokens is not None:
            try:
                client.logout()
                ended_remotely = True
            except NotAuthenticatedError:
                pass  # The session had already ended; forgetting the tokens is all that is left.
    forgot = store.clear(server)
    if as_json:
        print_json({"server": normalize_server(server), "logged_out": forgot, "session_ended": ended_remotely})
        return
    if forgot:
        stdout().print(_("Logged out of {server}.").format(server=normalize_server(server)))
    else:
        stdout().print(_("You were not logged in to {server}.").format(server=normalize_server(server)))


@handles_api_errors
def whoami(server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        user = client.me()
    CredentialStore().remember_language(server, preferred_language(user.metadata))
    if as_json:
        print_json(user)
        return
    name = f" ({escape(user.full_name)})" if user.full_name else ""
    stdout().print(
        _("[bold]{username}[/]{name} <{email}> on {server}").format(
            username=escape(user.username), name=name, email=escape(user.email), server=normalize_server(server)
        )
    )


@handles_api_errors
def language(
    chosen: Annotated[str | None, typer.Argument(metavar="es|en", help=_("The language to switch to."))] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        user = client.me()
        if chosen is not None:
            locale = as_locale(chosen)
            if locale is None:
                raise typer.BadParameter(_("{value!r} is not es or en").format(value=chosen), param_hint="es|en")
            metadata = dict(user.metadata)
            preferences = metadata.get("preferences")
            metadata["preferences"] = {**(preferences if isinstance(preferences, dict) else {}), "language": locale}
            user = client.update_me({"metadata": metadata})
    current = preferred_language(user.metadata)
    CredentialStore().remember_language(server, current)
    if as_json:
        print_json({"language": current})
        return
    # Said in the language just chosen: this run had settled its language before the change.
    reconsider()
    if current is None:
        stdout().print(_("You have not chosen a language; the system's is used (LANG)."))
    else:
        names = {"es": _("Spanish"), "en": _("English")}
        stdout().print(_("Your language: {language}").format(language=names.get(current, current)))


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ApiError(_("no password on standard input"))
    return password
