"""What the terminal shows for learner-supplied text: literally, never as Rich markup."""

from __future__ import annotations

from rich.console import Console

from ai_goals_tracker.cli.submit import criteria_table


def test_criteria_and_evidence_with_brackets_are_shown_as_written() -> None:
    console = Console(width=120, record=True)
    console.print(
        criteria_table(
            [
                {
                    "criterion": {"check": "regex", "pattern": r"Annotated\["},
                    "status": "not_met",
                    "evidence": "The pattern [x] matches nowhere.",
                }
            ]
        )
    )
    shown = console.export_text()
    assert r"Code matches the pattern Annotated\[" in shown
    assert "The pattern [x] matches nowhere." in shown
