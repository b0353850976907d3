"""From detections to labels: the pure rules, without any model."""
from __future__ import annotations

import json

import pytest

from shared.labeling import calibration
from shared.labeling.blaze import SIDE, anchors
from shared.labeling.coco import NAMES
from shared.labeling.faces import ANCHOR_LAYERS as FACE_ANCHORS
from shared.labeling.faces import Face
from shared.labeling.hands import ANCHOR_LAYERS as HAND_ANCHORS
from shared.labeling.objects import COCO, Detection
from shared.labeling.offline import merge
from shared.labeling.people import people_labels
from shared.labeling.scenes import OUTDOOR_CLASSES, outdoor_evidence, outdoor_rows, scene_labels
from shared.labeling.text import TextFound
from shared.labeling.tfjs_to_onnx import with_targs
from shared.labeling.things import hand_labels, object_labels, text_labels
from shared.labeling.types import Label


def person(score, box=(0.1, 0.1, 0.5, 0.9)):
    return Detection("person", score, box)


def face(score, box=(0.2, 0.15, 0.35, 0.35), happy=None):
    return Face(score, box, happy)


def names(labels):
    return {label.name: label for label in labels}


def test_curves_rise_and_cross_50_at_their_centre():
    for kind, curve in calibration.CURVES.items():
        assert curve(curve.centre) == pytest.approx(50.0), kind
        assert curve(curve.centre - curve.spread) < 50 < curve(curve.centre + curve.spread), kind


def test_a_changed_curve_changes_the_digest(monkeypatch):
    before = calibration.digest()
    monkeypatch.setitem(calibration.CURVES, "person", calibration.Curve(0.5, 0.1))
    assert calibration.digest() != before


def test_people_are_counted_from_confident_boxes():
    got = names(people_labels([person(0.9), person(0.85, (0.5, 0.1, 0.9, 0.9)), person(0.2)], []))
    assert {"Person", "People"} <= set(got) and "Group" not in got
    assert got["People"].confidence == pytest.approx(calibration.confidence("person", 0.85))
    crowd = [person(0.9, (i / 12, 0.4, i / 12 + 0.08, 0.9)) for i in range(11)]
    assert {"Group", "Crowd"} <= set(names(people_labels(crowd, [])))


def test_a_face_counts_on_a_body_and_hardly_alone():
    on_body = names(people_labels([person(0.9)], [face(0.95, happy=0.99)]))
    assert {"Person", "Face", "Head", "Smile", "Portrait"} <= set(on_body)
    assert on_body["Face"].parents == ("Head", "Person")
    alone = names(people_labels([], [face(0.95)]))
    assert "Face" not in alone and "Person" not in alone  # a face on a cup, a flower, a logo


def test_a_confident_animal_outweighs_a_person_and_a_face():
    evidence = ([person(0.6)], [face(0.8)])
    assert "Person" in names(people_labels(*evidence, animal=0.3))
    assert people_labels(*evidence, animal=0.92) == []


def test_clothing_goes_with_a_confident_person_and_grows_with_the_garments_seen():
    plain = names(people_labels([person(0.95)], []))
    dressed = names(people_labels([person(0.95)], [], clothing=0.4))
    assert plain["Clothing"].confidence >= 50 and dressed["Clothing"].confidence > plain["Clothing"].confidence
    assert names(people_labels([person(0.55)], []))["Clothing"].confidence < 50  # unsure person, no garment
    assert people_labels([], [], clothing=0.9) == []  # a garment alone is the classifier's "Clothing", not this


def test_outdoors_reads_the_classifier_on_places_and_outdoor_things():
    import numpy as np

    table = ["Tabby Cat", "Valley", "Tram", "Couch"]
    rows = outdoor_rows(table)
    assert [table[i] for i in rows] == ["Valley", "Tram"] and {"Valley", "Tram"} <= OUTDOOR_CLASSES
    probs = np.array([0.1, 0.5, 0.3, 0.1])
    assert outdoor_evidence(probs, rows) == pytest.approx(0.8)
    assert names(scene_labels(0.8))["Outdoors"].confidence > 90
    assert scene_labels(0.02)[0].confidence < 20  # a cat on a couch: far below the threshold of 50


def test_an_unsure_person_gets_a_second_look_at_the_trained_size(monkeypatch):
    from shared.labeling import objects

    looks = []

    def detect_at(self, img, size):
        looks.append(size)
        return [person(0.4 if size == objects.INPUT else 0.8)] if img == "unsure" else [person(0.9)]

    monkeypatch.setattr(objects.ObjectDetector, "detect_at", detect_at)
    detector = objects.ObjectDetector.__new__(objects.ObjectDetector)
    assert detector.detect("unsure")[0].score == 0.8 and looks == [objects.INPUT, objects.SECOND_LOOK]
    looks.clear()
    assert detector.detect("sure")[0].score == 0.9 and looks == [objects.INPUT]


def test_objects_take_rekognition_names_and_the_best_score():
    got = names(object_labels([Detection("cell phone", 0.9, (0, 0, 0.2, 0.2)),
                               Detection("cell phone", 0.7, (0.5, 0.5, 0.7, 0.7)), person(0.99)]))
    assert set(got) == {"Cell Phone"}
    assert got["Cell Phone"].confidence == pytest.approx(calibration.confidence("object", 0.9))
    assert got["Cell Phone"].parents == ("Phone", "Electronics")
    assert set(NAMES) == set(COCO) - {"person"}


def test_text_and_posters_grow_with_the_text_area():
    assert text_labels(TextFound(0.0, 0)) == []
    small, large = names(text_labels(TextFound(0.002, 1))), names(text_labels(TextFound(0.08, 9)))
    assert small["Text"].confidence >= 50 > small["Poster"].confidence
    assert large["Poster"].confidence > 80


def test_hands_from_the_best_logit():
    assert hand_labels([]) == []
    assert hand_labels([5.0], animal=0.97)[0].confidence < 5  # a cat's paw
    (hand,) = hand_labels([9.0, 2.0])
    assert hand.name == "Hand" and hand.confidence > 90 and hand.parents == ("Body Part",)


def test_merge_keeps_the_most_confident_and_fills_in_parents():
    got = names(merge([Label("Dog", 70, ("Mammal", "Animal"))], [Label("Dog", 90, ("Pet", "Mammal", "Animal"))],
                      [Label("Animal", 60)]))
    assert got["Dog"].confidence == 90 and got["Dog"].parents == ("Pet", "Mammal", "Animal")
    assert got["Pet"].confidence == 90 and got["Pet"].parents == ("Mammal", "Animal")
    assert got["Mammal"].confidence == 90 and got["Mammal"].parents == ("Animal",)
    assert got["Animal"].confidence == 90


def test_anchor_grids_match_the_models():
    assert SIDE == 256
    assert len(anchors(SIDE, FACE_ANCHORS)) == 896  # BlazeFace's rows
    hand = anchors(SIDE, HAND_ANCHORS)
    assert len(hand) == 2944  # the palm detector's rows
    assert tuple(hand[0]) == (4.0, 4.0) and tuple(hand[-1]) == (240.0, 240.0)


def test_fused_convolutions_get_the_attribute_tfjs_drops(tmp_path):
    model = {"modelTopology": {"node": [
        {"name": "c", "op": "_FusedConv2D", "attr": {"T": {"type": "DT_FLOAT"}, "num_args": {"i": "2"}}},
        {"name": "r", "op": "Relu", "attr": {"T": {"type": "DT_FLOAT"}}}]},
        "weightsManifest": [{"paths": ["w.bin"]}]}
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.json").write_text(json.dumps(model))
    (src / "w.bin").write_bytes(b"\0" * 8)
    out = tmp_path / "out"
    out.mkdir()
    patched = json.loads(with_targs(src / "model.json", out).read_text())
    conv, relu = patched["modelTopology"]["node"]
    assert conv["attr"]["TArgs"] == {"list": {"type": ["DT_FLOAT", "DT_FLOAT"]}}
    assert "TArgs" not in relu["attr"] and (out / "w.bin").exists()
