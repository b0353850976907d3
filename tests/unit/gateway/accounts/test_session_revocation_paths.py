"""Every revocation of a session goes through `services.gateway.accounts.sessions`, which tombstones the
token in the gateway's Redis cache before deleting it from MongoDB. Code that deleted or changed
a session in MongoDB directly would leave the cached copy working (for up to ENTRY_TTL): this
test names such code. Use SessionStore.revoke / revoke_user instead."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
ALLOWED = {ROOT / "services" / "gateway" / "accounts" / "sessions.py"}
WRITES = re.compile(r"""(\.sessions|\[["']sessions["']\])\s*\.\s*(delete_one|delete_many|update_one|update_many|"""
                    r"""replace_one|find_one_and_delete|find_one_and_update|find_one_and_replace|bulk_write|drop)\b""")


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted((root / "services").rglob("*.py")) + sorted((root / "shared").rglob("*.py")):
        if path in ALLOWED:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if WRITES.search(line):
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    return found


def test_only_the_session_store_revokes_sessions():
    assert all(path.exists() for path in ALLOWED)  # ROOT is the repository
    assert offenders(ROOT) == []


def test_the_check_finds_a_direct_delete(tmp_path):
    bad = tmp_path / "services" / "gateway"
    bad.mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (bad / "password.py").write_text('db.sessions.delete_many({"user_id": uid})\nd.db["sessions"].update_one({}, {})\n')
    assert [line.split(":")[1] for line in offenders(tmp_path)] == ["1", "2"]
