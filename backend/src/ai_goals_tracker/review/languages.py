"""Which language a submitted file is written in, from its extension."""

from __future__ import annotations

from pathlib import PurePosixPath

PYTHON = "python"
JAVASCRIPT = "javascript"
TYPESCRIPT = "typescript"
TSX = "tsx"
UNKNOWN = "unknown"

_EXTENSIONS = {
    ".py": PYTHON,
    ".pyw": PYTHON,
    ".pyi": PYTHON,
    ".js": JAVASCRIPT,
    ".mjs": JAVASCRIPT,
    ".cjs": JAVASCRIPT,
    ".jsx": JAVASCRIPT,
    ".ts": TYPESCRIPT,
    ".mts": TYPESCRIPT,
    ".cts": TYPESCRIPT,
    ".tsx": TSX,
    ".java": "java",
    ".go": "go",
    ".rs": "rust",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cc": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".kt": "kotlin",
    ".swift": "swift",
    ".sql": "sql",
    ".sh": "bash",
    ".html": "html",
    ".css": "css",
}

_ALIASES = {"py": PYTHON, "python3": PYTHON, "js": JAVASCRIPT, "node": JAVASCRIPT, "ts": TYPESCRIPT}

# Languages the review can parse; everything else gets size metrics and secret detection only.
FULLY_ANALYZED = frozenset({PYTHON, JAVASCRIPT, TYPESCRIPT, TSX})


def infer_language(file_path: str) -> str:
    """The language of `file_path` by its extension (case-insensitive), or "unknown"."""
    suffix = PurePosixPath(file_path.replace("\\", "/")).suffix.lower()
    return _EXTENSIONS.get(suffix, UNKNOWN)


def normalize_language(language: str | None, file_path: str) -> str:
    """The declared language in canonical spelling, falling back to the file extension."""
    if not language or not language.strip():
        return infer_language(file_path)
    name = language.strip().lower()
    return _ALIASES.get(name, name)
