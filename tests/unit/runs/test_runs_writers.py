"""Only the run module (`shared.runs`) writes the `runs` collection, so every change of a run goes
through its transition table: this test names any other code that inserts, updates, replaces or
deletes runs documents (read with `ast`, so a call split over lines is found too). Use the
functions of `shared.runs` instead (transition, finish, cancel, set_likes_hidden, ...)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OWNER = Path("shared") / "runs.py"
WRITES = {"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
          "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write", "drop",
          "find_and_modify"}


def _is_runs(node: ast.expr) -> bool:
    """`x.runs` or `x["runs"]`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "runs"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "runs"
    return False


def writers(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES
            and _is_runs(node.func.value)]


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "services").rglob("*.py")) + sorted((root / "shared").rglob("*.py")):
        if path.relative_to(root) == OWNER:
            continue
        found += [f"{path.relative_to(root)}:{n}" for n in writers(path)]
    return found


def test_only_the_run_module_writes_runs():
    assert offenders(ROOT) == []


def test_the_owner_does_write_runs():
    assert writers(ROOT / OWNER)  # else this test checks a module that moved


def test_the_check_finds_every_kind_of_write(tmp_path):
    bad = tmp_path / "services" / "janitor"
    bad.mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (bad / "reaper.py").write_text(
        'db.runs.update_one({"_id": r}, {"$set": {"resumed_at": 1}})\n'
        'd.db["runs"].delete_many({"user_id": u})\n'
        'db.runs.find_one_and_update(\n    {"_id": r},\n    {})\n'
        'db.runs.find_one({"_id": r})\n'  # a read: allowed
        'db.run_media.insert_many([])\n')  # another collection
    assert offenders(tmp_path) == ["services/janitor/reaper.py:1", "services/janitor/reaper.py:2",
                                   "services/janitor/reaper.py:3"]
