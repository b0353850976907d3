"""The run's state table (shared.run_state) against the state diagram of docs/design.md, and
`runs.transition` refusing a move the table does not have."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared import runs
from shared.run_state import (
    COUNTING_STATES,
    LIVE_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    RunState,
    check,
    sources,
)

ROOT = Path(__file__).resolve().parents[3]
S = RunState


def diagram_edges(doc: Path) -> set[tuple[str, str]]:
    """The moves of the first mermaid stateDiagram in `doc` ([*] → listing left out)."""
    text = doc.read_text()
    block = text[text.index("stateDiagram-v2"):]
    block = block[:block.index("```")]
    return {(a, b) for a, b in re.findall(r"^\s*(\w+)\s*-->\s*(\w+)", block, re.M)}


def table_edges() -> set[tuple[str, str]]:
    return {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}


def test_the_table_is_the_diagram_of_the_design():
    assert table_edges() == diagram_edges(ROOT / "docs" / "design.md")


def test_the_values_are_what_documents_and_the_api_carry():
    assert [s.value for s in RunState] == ["listing", "running", "building", "done", "cancelled", "failed"]
    assert RunState("done") == "done" and f"{RunState.DONE}" == "done"
    assert set(LIVE_STATES) | set(TERMINAL_STATES) == set(RunState)
    assert set(COUNTING_STATES) <= set(LIVE_STATES)


def test_terminal_states_are_final_and_every_live_state_can_end():
    for s in TERMINAL_STATES:
        assert TRANSITIONS[s] == frozenset()
    for s in LIVE_STATES:
        assert {S.CANCELLED, S.FAILED} <= TRANSITIONS[s]


def test_sources_read_the_table_backwards():
    assert sources(S.RUNNING) == (S.LISTING,)
    assert sources(S.BUILDING) == (S.RUNNING,)
    assert sources(S.DONE) == (S.LISTING, S.BUILDING)
    assert sources(S.CANCELLED) == LIVE_STATES == sources(S.FAILED)
    assert sources(S.LISTING) == ()


@pytest.mark.parametrize("source", list(RunState))
@pytest.mark.parametrize("target", list(RunState))
def test_check_allows_exactly_the_table(source, target):
    if target in TRANSITIONS[source]:
        assert check((source.value,), target.value) == (source,)
    else:
        with pytest.raises(IllegalTransition):
            check((source,), target)


def test_check_without_expected_states_takes_every_legal_source():
    assert check((), "failed") == LIVE_STATES
    with pytest.raises(ValueError):
        check((), "paused")  # no such state


class _Runs:
    def __init__(self):
        self.calls = []

    def find_one_and_update(self, query, update, **kw):
        self.calls.append((query, update))
        return None


class _Db:
    def __init__(self):
        self.runs = _Runs()


def test_transition_refuses_an_illegal_move_before_writing():
    db = _Db()
    with pytest.raises(IllegalTransition):
        runs.transition(db, "r1", RunState.DONE, (RunState.RUNNING,))
    assert db.runs.calls == []


def test_transition_updates_only_from_the_legal_sources():
    db = _Db()
    runs.transition(db, "r1", RunState.DONE)
    (query, update), = db.runs.calls
    assert query == {"_id": "r1", "state": {"$in": ["listing", "building"]}}
    assert update["$set"]["state"] == "done"
