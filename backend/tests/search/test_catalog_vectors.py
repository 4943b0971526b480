"""The catalog's vectors are embedded once per machine: a process started later reads them back."""

from __future__ import annotations

import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from ai_goals_tracker.ai.embeddings import OfflineEmbeddings
from ai_goals_tracker.config import get_settings
from ai_goals_tracker.search import catalog_match
from ai_goals_tracker.search.catalog import CatalogGoal, load_catalog


class CountingEmbeddings(OfflineEmbeddings):
    """The offline model, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_sync(texts)


@pytest.fixture
def stored() -> Iterator[Path]:
    """A machine whose data folder holds no catalog vectors yet; each test's processes share it."""
    folder = get_settings().home / catalog_match.STORED_VECTORS_FOLDER
    kept = {path: path.read_bytes() for path in folder.glob("catalog-vectors-*")}
    for path in kept:
        path.unlink()
    yield folder
    for path in folder.glob("catalog-vectors-*"):
        path.unlink()
    for path, content in kept.items():
        path.write_bytes(content)


def stored_files(folder: Path) -> list[Path]:
    """The stored matrices, oldest first."""
    return sorted(folder.glob("catalog-vectors-*.npy"), key=lambda path: path.stat().st_mtime)


def a_process_started(monkeypatch: pytest.MonkeyPatch, goals: list[CatalogGoal]) -> None:
    """A fresh process: nothing in memory yet, and a catalog of these goals (a few, to stay quick)."""
    monkeypatch.setattr(catalog_match, "_cache", {})
    monkeypatch.setattr(catalog_match, "load_catalog", lambda: goals)


async def test_the_first_process_embeds_the_catalog_and_the_next_reads_the_same_vectors(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    goals = load_catalog()[:3]
    first = CountingEmbeddings()
    a_process_started(monkeypatch, goals)
    built = await catalog_match.catalog_vectors(first)

    second = CountingEmbeddings()
    a_process_started(monkeypatch, goals)
    read = await catalog_match.catalog_vectors(second)

    assert first.embedded == 3 * 2 * 2  # a topic and a saved text per goal, in each language
    assert second.embedded == 0
    [kept] = stored_files(stored)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert [goal.key for goal in read.goals] == [goal.key for goal in goals]
    for mine, theirs in zip(built.topics + built.saved_texts, read.topics + read.saved_texts, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert read.relevance(built.topics[0][1]).argmax() == 1


async def test_a_changed_catalog_is_embedded_again_and_a_damaged_file_made_again(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_process_started(monkeypatch, load_catalog()[:2])
    await catalog_match.catalog_vectors(CountingEmbeddings())

    grown = CountingEmbeddings()
    a_process_started(monkeypatch, load_catalog()[:3])
    await catalog_match.catalog_vectors(grown)
    assert grown.embedded == 3 * 2 * 2
    files = stored_files(stored)
    assert sorted(len(np.load(path)) for path in files) == [2 * 2 * 2, 3 * 2 * 2]
    [three_goals] = [path for path in files if len(np.load(path)) == 3 * 2 * 2]

    three_goals.write_bytes(three_goals.read_bytes()[:100])
    repaired = CountingEmbeddings()
    a_process_started(monkeypatch, load_catalog()[:3])
    vectors = await catalog_match.catalog_vectors(repaired)
    assert repaired.embedded == 3 * 2 * 2
    assert vectors.topics[0].shape == (3, repaired.dimensions)
    assert np.load(three_goals).shape == (3 * 2 * 2, repaired.dimensions)


class RemoteEmbeddings:
    """A provider that is not the offline model (an OpenAI-compatible server's), computing the same vectors."""

    model = "text-embedding-3-small"
    dimensions = 512

    def __init__(self) -> None:
        self.offline = CountingEmbeddings()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.offline.embed_sync(texts)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        return self.offline.embed_sync(texts)


async def test_a_remote_providers_vectors_are_not_kept(stored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        remote = RemoteEmbeddings()
        a_process_started(monkeypatch, load_catalog()[:2])
        await catalog_match.catalog_vectors(remote)
        assert remote.offline.embedded == 2 * 2 * 2

    assert stored_files(stored) == []
