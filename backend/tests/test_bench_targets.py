"""`make bench` judges every figure against its target; `make bench-check` fails on a miss, and a
benchmark that cannot measure counts as one (nothing here is timed: the figures are given)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import benchmarks.__main__ as bench
import pytest
from benchmarks.targets import Section, Target, table


def test_a_target_is_met_on_the_right_side_of_its_bound_and_missed_without_a_figure() -> None:
    assert Target("read", 0.8, "at least", 0.75).met
    assert Target("read", 0.75, "at least", 0.75).met
    assert not Target("read", 0.7, "at least", 0.75).met
    assert Target("p99", 1.2, "at most", 1.3).met
    assert not Target("p99", 1.4, "at most", 1.3).met
    assert not Target("p99", None, "at most", 1.3).met
    assert Target("read", 0.7, "at least", 0.75).gap == pytest.approx(-0.05)
    assert Target("p99", 1.2, "at most", 1.3).gap == pytest.approx(0.1)

    report = table([Target("read", 0.8, "at least", 0.75), Target("p99", 1.4, "at most", 1.3)])
    assert "| read | 0.80x | at least 0.75x | met | +0.05x |" in report
    assert "| p99 | 1.40x | at most 1.30x | MISSED | −0.10x |" in report
    assert "1 of 2 targets met" in report and "- missed: p99" in report


def _benchmark(name: str, run: object, monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(f"benchmarks_fake_{name}")
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(bench.BENCHMARKS, name, module.__name__)


def test_the_check_fails_on_a_miss_or_a_benchmark_that_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    _benchmark("fast", lambda: Section("## fast", [Target("fast", 2.0, "at least", 1.0)]), monkeypatch)
    _benchmark("slow", lambda: Section("## slow", [Target("slow", 0.5, "at least", 1.0)]), monkeypatch)

    def broken() -> Section:
        raise RuntimeError("no database")

    _benchmark("broken", broken, monkeypatch)

    assert bench.main(["--check", "fast"]) == 0
    assert bench.main(["--check", "fast", "slow"]) == 1
    assert bench.main(["fast", "slow"]) == 0  # `make bench` reports; only the check fails
    assert bench.main(["--check", "fast", "broken"]) == 1
    assert "| broken: ran | – | at least 1.00x | MISSED | no figure |" in capsys.readouterr().out
    assert "MISSED" in (tmp_path / "latest.md").read_text()
