"""Account folders and stateless tokens of the Instagram sandbox."""
import json
import time

import pytest

from sandbox.instagram.accounts import (
    AccountError,
    default_user_id,
    list_accounts,
    load_account,
    parse_timestamp,
    write_account,
)
from sandbox.instagram.testing import sample_account, tiny_jpeg
from sandbox.instagram.tokens import Signer, TokenError


def test_write_and_load_account(tmp_path):
    posts = sample_account(tmp_path, "alice", 5)
    acct = load_account(tmp_path, "alice")
    assert acct.username == "alice" and acct.user_id == default_user_id("alice")
    assert len(acct.posts) == 5
    assert [p["id"] for p in acct.sorted_posts()] == [p["id"] for p in reversed(posts)]
    kinds = {p["media_type"] for p in acct.posts}
    assert kinds == {"IMAGE", "CAROUSEL_ALBUM", "VIDEO"}
    assert acct.posts[0]["timestamp"] == "2025-01-01T12:00:00+0000"
    doc = json.loads((tmp_path / "alice" / "account.json").read_text())
    assert set(doc) >= {"username", "user_id", "posts"}
    assert list_accounts(tmp_path) == ["alice"]


def test_write_account_checks_files_and_fields(tmp_path):
    base = {"id": "1", "timestamp": "2025-01-01T00:00:00Z", "like_count": 1, "comments_count": 0}
    with pytest.raises(AccountError):
        write_account(tmp_path, "a", [{**base, "file": "missing.jpg"}])
    with pytest.raises(AccountError):
        write_account(tmp_path, "a", [{**base, "media_type": "CAROUSEL_ALBUM"}], {})
    with pytest.raises(AccountError):
        write_account(tmp_path, "a", [{**base, "media_type": "STORY", "file": "x.jpg"}], {"x.jpg": b"x"})
    with pytest.raises(AccountError):
        write_account(tmp_path, "../evil", [], {})
    with pytest.raises(AccountError):
        write_account(tmp_path, "a", [{**base, "file": "../x.jpg"}], {})
    folder = write_account(tmp_path, "a", [{**base, "file": "x.jpg"}], {"x.jpg": tiny_jpeg(1)},
                           username="a.b", user_id="123")
    acct = load_account(tmp_path, "a")
    assert folder == tmp_path / "a" and acct.username == "a.b" and acct.user_id == "123"
    assert acct.posts[0]["timestamp"] == "2025-01-01T00:00:00+0000"


def test_parse_timestamp_forms():
    a = parse_timestamp("2025-03-01T18:04:00+0000")
    assert a == parse_timestamp("2025-03-01T18:04:00Z") == parse_timestamp("2025-03-01T19:04:00+01:00")


def test_tokens_roundtrip_and_failures():
    s = Signer("secret")
    tok = s.issue("alice", "42", "long")
    assert tok.startswith("IGL")
    c = s.verify(tok, ("short", "long"))
    assert (c.account, c.user_id, c.kind) == ("alice", "42", "long")
    assert 60 * 24 * 3600 - 5 <= c.expires_in <= 60 * 24 * 3600
    assert s.verify(s.issue("alice", "42", "short"), "short").expires_in <= 3600
    # another secret (another app) cannot read it; a tampered token fails
    with pytest.raises(TokenError) as e:
        Signer("other").verify(tok, "long")
    assert e.value.reason == "signature"
    with pytest.raises(TokenError):
        s.verify(tok[:-2] + ("AA" if not tok.endswith("AA") else "BB"), "long")
    with pytest.raises(TokenError) as e:
        s.verify(tok, "short")
    assert e.value.reason == "kind"
    with pytest.raises(TokenError) as e:
        s.verify(s.issue("alice", "42", "short", ttl=-1), "short")
    assert e.value.reason == "expired"
    with pytest.raises(TokenError) as e:
        s.verify("garbage", "long")
    assert e.value.reason == "malformed"
    # two tokens issued at once differ (nonce), and a new Signer with the same secret reads them
    assert s.issue("a", "1", "long") != s.issue("a", "1", "long")
    assert Signer("secret").verify(tok, "long").account == "alice"
    with pytest.raises(TokenError):
        s.verify(tok, "long", now=time.time() + 61 * 24 * 3600)
