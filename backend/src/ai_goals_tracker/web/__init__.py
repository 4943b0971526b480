"""The web dashboard: server-rendered pages at `/`, beside the JSON API under `/api/v1`.

Pages call the same services, repositories and ownership loaders as the API endpoints; the
browser's session is a cookie bound to the same server-side session as the API's tokens.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
