"""Where the learner commands keep their tokens between runs.

Tokens are kept per server in `credentials.json` in the user's config folder (AIGT_CONFIG_DIR
overrides it), readable by the owner only: an access token is as good as the password until it expires.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs

from ai_goals_tracker.api_server import Tokens, normalize_server

CREDENTIALS_FILE = "credentials.json"


def config_dir() -> Path:
    override = os.environ.get("AIGT_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("ai-goals-tracker", appauthor=False))


class CredentialStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or config_dir()) / CREDENTIALS_FILE

    def load(self, server: str) -> Tokens | None:
        entry = self._read().get(normalize_server(server))
        if not isinstance(entry, dict) or "access_token" not in entry or "refresh_token" not in entry:
            return None
        return Tokens(access_token=entry["access_token"], refresh_token=entry["refresh_token"])

    def username(self, server: str) -> str | None:
        entry = self._read().get(normalize_server(server))
        return entry.get("username") if isinstance(entry, dict) else None

    def language(self, server: str) -> str | None:
        """The learner's `metadata.preferences.language` as last seen (login, whoami)."""
        entry = self._read().get(normalize_server(server))
        language = entry.get("language") if isinstance(entry, dict) else None
        return language if isinstance(language, str) else None

    def save(self, server: str, tokens: Tokens, *, username: str | None = None) -> None:
        servers = self._read()
        key = normalize_server(server)
        entry = servers.get(key)
        previous: dict[str, Any] = entry if isinstance(entry, dict) else {}
        servers[key] = {**previous, **tokens, **({"username": username} if username else {})}
        self._write(servers)

    def remember_language(self, server: str, language: str | None) -> None:
        servers = self._read()
        entry = servers.get(normalize_server(server))
        if isinstance(entry, dict) and entry.get("language") != language:
            entry["language"] = language
            self._write(servers)

    def clear(self, server: str) -> bool:
        servers = self._read()
        if servers.pop(normalize_server(server), None) is None:
            return False
        self._write(servers)
        return True

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        servers = data.get("servers") if isinstance(data, dict) else None
        return servers if isinstance(servers, dict) else {}

    def _write(self, servers: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        # Created 0600 from the start, so the tokens are never readable by others, not even briefly.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"servers": servers}, handle, indent=2)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
