"""The review feedback's small Markdown (headings, bullets, bold, code) as safe HTML.

Everything is escaped first; only the few constructs the feedback composer writes become tags.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")


def _inline(text: str) -> str:
    escaped = str(escape(text))
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def render_inline(text: str) -> Markup:
    """One line of a finding: `code` and **bold** only."""
    return Markup(_inline(text))  # noqa: S704  (built from escaped text and fixed tags)


def render_feedback(text: str) -> Markup:
    html: list[str] = []
    in_list = False
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        if in_list and not bullet:
            html.append("</ul>")
            in_list = False
        heading = _HEADING.match(line)
        if heading:
            # Feedback sits under the page's own h2: its headings start at h3.
            level = min(6, max(3, len(heading.group(1))))
            html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif bullet:
            if not in_list:
                html.append("<ul>")
                in_list = True
            html.append(f"<li>{_inline(bullet.group(1))}</li>")
        elif line.strip():
            html.append(f"<p>{_inline(line)}</p>")
    if in_list:
        html.append("</ul>")
    return Markup("\n".join(html))  # noqa: S704  (built from escaped text and fixed tags)
