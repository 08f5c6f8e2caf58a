"""docs/verticals.md kept true: every hook and field it must explain, the entry point it shows."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from plaza.market.kinds import KindSpec
from plaza.verticals import ENTRY_POINT_GROUP, Vertical

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "verticals.md").read_text()


def _table_calls() -> set[str]:
    """The first column of the "What the market calls" table."""
    section = GUIDE.split("## What the market calls, and when", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


def test_the_guide_says_when_the_market_calls_every_part_of_a_kind_spec() -> None:
    members = {name for name in vars(KindSpec) if not name.startswith("_")}
    assert _table_calls() == members - {"kind"}


def test_the_guide_shows_every_field_of_a_vertical() -> None:
    for field in dataclasses.fields(Vertical):
        assert re.search(rf"^    {field.name}=", GUIDE, re.MULTILINE), field.name


def test_the_guides_entry_point_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert f'[project.entry-points."{ENTRY_POINT_GROUP}"]' in GUIDE
    for name, target in declared[ENTRY_POINT_GROUP].items():
        assert f'{name} = "{target}"' in GUIDE
