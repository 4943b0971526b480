"""Code snapshots: a learner's submissions for a task, and their review verdicts."""
