"""How a writer locks the rows it changes, and the one order it takes them in.

A writer locks a row with `FOR NO KEY UPDATE`, which does not conflict with the key-share locks
that inserting child rows takes, and reads it afresh (`populate_existing`), so it works on the
committed state rather than on what the session loaded earlier.

A transaction that locks rows of several tables takes them child before parent:

    task → code snapshot → goal → course

Each table's repository names its lock (`tasks.repository.lock`, `snapshots.repository.lock`,
`goals.repository.lock`, `courses.repository.lock`), and the roll-up keeps the order by going
upwards only: a task's change rolls up through `goals.service.roll_up`, which locks the goal and
then rolls up through `courses.service.roll_up`, which locks the course. Concurrent completions of
sibling tasks therefore serialize on their goal, and the last to commit counts them all.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select

R = TypeVar("R")


def for_writing(query: Select[R]) -> Select[R]:
    """`query` with the writer's row lock, its rows read afresh."""
    return query.with_for_update(key_share=True).execution_options(populate_existing=True)
