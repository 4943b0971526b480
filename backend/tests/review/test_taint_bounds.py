"""The taint trackers on hostile shapes: a long chain is still followed, a nesting deeper than any person
writes ends the review `not_reviewed` (never a pass), and neither takes the helper's stack."""

from __future__ import annotations

from ai_goals_tracker.review.models import ReviewOutcome, ReviewRequest
from ai_goals_tracker.review.pipeline import review_submission


def _review(code: str, file_path: str) -> tuple[ReviewOutcome, set[str]]:
    result = review_submission(ReviewRequest(code=code, file_path=file_path, locale="en"))
    return result.outcome, {finding.rule for finding in result.findings}


def test_a_long_concatenation_is_followed_to_its_sink() -> None:
    code = "const x = req.query.to;\nconst y =\n" + "\n".join(["  x +"] * 2000) + "\n  '';\nres.redirect(y);\n"
    outcome, rules = _review(code, "src/long.js")
    assert outcome is ReviewOutcome.FAILED
    assert "open-redirect" in rules


def test_nesting_deeper_than_the_tracker_follows_is_not_reviewed() -> None:
    code = "const x = req.query.to;\nconst y =\n" + "(\n" * 1500 + "x" + "\n)" * 1500 + ";\nres.redirect(y);\n"
    outcome, _ = _review(code, "src/deep.js")
    assert outcome is ReviewOutcome.NOT_REVIEWED


def test_a_long_chain_of_helpers_is_bounded() -> None:
    helpers = "\n".join(f"def step{i}(value):\n    return step{i + 1}(value)\n\n" for i in range(300))
    code = (
        "from flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
        + helpers
        + "def step300(value):\n    return open(value).read()\n\n\n"
        + "@app.route('/')\ndef index():\n    return step0(request.args['path'])\n"
    )
    outcome, rules = _review(code, "app/chain.py")
    assert outcome is ReviewOutcome.FAILED
    assert "path-traversal" in rules
