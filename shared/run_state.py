"""A training run's states and the moves between them: the state diagram of docs/design.md as a
table. `runs` (the one writer of the `runs` collection) refuses any move not in TRANSITIONS, and
`progress` gives its Lua scripts the state names from here:

    listing → running → building → done;  listing → done (no new posts);
    listing, running or building → cancelled or failed.

The values are what the stored documents, the Redis hashes and the HTTP API carry.
"""
from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    LISTING = "listing"  # the ingestor lists the user's Instagram media
    RUNNING = "running"  # labelers label and count the listed posts
    BUILDING = "building"  # every post counted: the builder fits the model
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


LIVE_STATES: tuple[RunState, ...] = (RunState.LISTING, RunState.RUNNING, RunState.BUILDING)
TERMINAL_STATES: tuple[RunState, ...] = (RunState.DONE, RunState.CANCELLED, RunState.FAILED)
#: The states in which labelers still count posts (building: a late duplicate of a counted post).
COUNTING_STATES: tuple[RunState, ...] = (RunState.RUNNING, RunState.BUILDING)

#: Every legal move, from → the states it may go to; what it means, in the diagram's words.
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.LISTING: frozenset({
        RunState.RUNNING,  # ingestor: N new posts listed
        RunState.DONE,  # ingestor: no new posts
        RunState.CANCELLED,  # POST .../cancel
        RunState.FAILED,  # Instagram not connected or token rejected, a dead listing, stalled twice
    }),
    RunState.RUNNING: frozenset({
        RunState.BUILDING,  # the last post counted (done + failed = total)
        RunState.CANCELLED,
        RunState.FAILED,
    }),
    RunState.BUILDING: frozenset({
        RunState.DONE,  # builder: a new model, or too few posts (with a reason)
        RunState.CANCELLED,
        RunState.FAILED,
    }),
    RunState.DONE: frozenset(),
    RunState.CANCELLED: frozenset(),
    RunState.FAILED: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the state diagram does not have: a programming error, never a race (a race is a
    conditional update that finds the run in another state)."""


def sources(target: RunState) -> tuple[RunState, ...]:
    """The states a run may move to `target` from, in the order of RunState."""
    return tuple(s for s in RunState if target in TRANSITIONS[s])


def check(expected: tuple[str, ...], target: str) -> tuple[RunState, ...]:
    """`expected` (default: every legal source of `target`) as states, or IllegalTransition if
    any of them may not move to `target`."""
    target = RunState(target)
    if not expected:
        return sources(target)
    states = tuple(RunState(s) for s in expected)
    illegal = [s for s in states if target not in TRANSITIONS[s]]
    if illegal:
        raise IllegalTransition(f"a run may not move from {', '.join(illegal)} to {target}")
    return states
