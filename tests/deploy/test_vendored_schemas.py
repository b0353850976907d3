"""The vendored schemas are the versions deploy/schemas/SOURCES.md records, byte for byte."""
import hashlib
import re

from tests.deploy.manifests import CRD_FILES, SCHEMAS


def test_each_vendored_file_matches_its_recorded_source():
    rows = re.findall(r"^\| `([^`]+)` \| (\S+) \| ([^|]+) \| `([^`]+)` \| `([0-9a-f]{64})` \|$",
                      (SCHEMAS / "SOURCES.md").read_text(), re.M)
    recorded = {name: digest for name, _, _, _, digest in rows}
    on_disk = {p.name for p in SCHEMAS.iterdir() if p.name != "SOURCES.md"}
    assert set(recorded) == on_disk >= {*CRD_FILES, "compose-spec.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
