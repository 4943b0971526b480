from ai_goals_tracker.sandbox.jail import SANDBOX_UID_BASE


def sandbox_uids_of(server_pid: int) -> set[int]:
    """The uids a server process hands its runs when it runs as root (`jail._sandbox_uid`): other
    processes' runs, which may be going on at the same time, have others."""
    return {SANDBOX_UID_BASE + ((server_pid << 12) + n) % 100_000_000 for n in range(4096)}
