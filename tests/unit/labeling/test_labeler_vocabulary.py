"""Which stored labels a labeler worker keeps: an offline build's exact id, a paid backend's family."""
from __future__ import annotations

from types import SimpleNamespace

from services.labeler.handler import same_vocabulary

OFFLINE = SimpleNamespace(id="offline-effnet-nanodet-blazeface@2+0365feb1+975796cb", paid=False)
REKOGNITION = SimpleNamespace(id="rekognition", paid=True)


def test_offline_labels_of_another_build_or_calibration_are_redone():
    assert same_vocabulary(OFFLINE.id, OFFLINE)
    assert not same_vocabulary("offline-effnet-nanodet-blazeface@2+0365feb1+11111111", OFFLINE)
    assert not same_vocabulary("offline-efficientnet-lite0@1+0365feb1", OFFLINE)


def test_rekognition_labels_are_kept_whatever_model_version_it_reported():
    assert same_vocabulary("rekognition@3.0", REKOGNITION)
    assert not same_vocabulary(OFFLINE.id, REKOGNITION)
