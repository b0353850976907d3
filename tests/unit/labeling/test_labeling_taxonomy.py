"""Names and parents of the 1000 classes, as built into the models dir by build_assets."""
from __future__ import annotations

import json
import re

import pytest

from shared.labeling.build_assets import LABELS_FILE, assets_valid
from shared.settings import Settings

BANNED = {"Whole", "Object", "Physical Entity", "Entity", "Artifact", "Instrumentality", "Conveyance",
          "Placental", "Chordate", "Vertebrate", "Organism", "Living Thing", "Matter", "Substance"}


@pytest.fixture(scope="module")
def classes():
    d = Settings().models_dir
    assert assets_valid(d), f"labeling assets missing or stale in {d}: run `make install`"
    table = json.loads((d / LABELS_FILE).read_text())
    return {c["wnid"]: c for c in table["classes"]}


@pytest.mark.parametrize("wnid, name, parents", [
    ("n02124075", "Egyptian Mau", ["Cat", "Mammal", "Animal"]),
    ("n02123045", "Tabby Cat", ["Cat", "Mammal", "Animal"]),
    ("n07920052", "Espresso", ["Coffee", "Beverage", "Food"]),
    ("n04285008", "Sports Car", ["Car", "Vehicle"]),
    ("n03063599", "Coffee Mug", ["Mug", "Cup"]),
    ("n02504458", "African Bush Elephant", None),
])
def test_known_chains(classes, wnid, name, parents):
    c = classes[wnid]
    assert c["name"] == name
    if parents is not None:
        assert c["parents"] == parents


def test_every_name_is_rekognition_style(classes):
    assert len(classes) == 1000
    for c in classes.values():
        for n in [c["name"], *c["parents"]]:
            assert n and n[0].isupper() and "_" not in n and not re.search(r"n\d{8}", n), n
            assert n not in BANNED, (c["name"], n)
            assert "(" not in n and " or " not in n, n
        assert c["name"] not in c["parents"]
        assert len(set(c["parents"])) == len(c["parents"])


def test_build_is_idempotent():
    from shared.labeling.build_assets import build

    assert build(Settings().models_dir, log=lambda *_: None) is False
