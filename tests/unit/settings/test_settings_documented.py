"""Every setting is documented in the README, with its default."""
from pathlib import Path

from shared.settings import markdown_table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_has_the_settings_table_of_the_code():
    readme = README.read_text()
    for row in markdown_table().splitlines()[2:]:
        assert row in readme, f"README is missing or has an old row: {row}"


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.read_text().splitlines()[:30])
    assert "make demo" in first_screen and "make test" in first_screen
