"""The benchmark stand-in for a remote labeler (LIKELY_LABELER=delay:…) and how many calls a
labeler process keeps in flight (LIKELY_LABELER_CONCURRENCY)."""
import dataclasses
import time

import pytest

from sandbox.instagram.testing import tiny_jpeg
from shared.labeling import DelayLabeler, ImageRejected, concurrency, get_labeler
from shared.labeling.delay import LABELS_PER_IMAGE, VOCABULARY, parse_delay
from shared.settings import Settings


@pytest.mark.parametrize("spec, seconds", [("150ms", 0.15), ("0.2s", 0.2), ("150", 0.15), ("0ms", 0.0)])
def test_delays_are_read_in_milliseconds_or_seconds(spec, seconds):
    assert parse_delay(spec) == pytest.approx(seconds)


@pytest.mark.parametrize("spec", ["", "fast", "-5ms", "150 min", "61s"])
def test_a_bad_delay_is_refused(spec):
    with pytest.raises(ValueError):
        parse_delay(spec)


@pytest.mark.parametrize("backend", ["delay", "delay:", "delay:soon", "offline:1", "remote"])
def test_get_labeler_refuses_a_malformed_backend(backend):
    with pytest.raises(ValueError):
        get_labeler(Settings(), backend=backend)


def test_it_sleeps_and_gives_the_same_labels_for_the_same_image():
    labeler = get_labeler(Settings(), backend="delay:50ms")
    assert isinstance(labeler, DelayLabeler) and labeler.id == "delay-50ms@1"
    started = time.monotonic()
    first = labeler.label(tiny_jpeg(1))
    assert time.monotonic() - started >= 0.05
    assert first == labeler.label(tiny_jpeg(1)) != labeler.label(tiny_jpeg(2))
    assert first.labeler == "delay-50ms@1" and len(first.labels) == LABELS_PER_IMAGE
    assert all(label.name in VOCABULARY and 50 <= label.confidence < 100 for label in first.labels)


def test_it_checks_the_image_like_a_real_labeler():
    with pytest.raises(ImageRejected):
        DelayLabeler(0).label(b"not an image")


@pytest.mark.parametrize("backend, configured, expected", [
    ("offline", 0, 1), ("rekognition", 0, 8), ("delay:150ms", 0, 8), ("offline", 3, 3), ("delay:1ms", 2, 2)])
def test_remote_backends_keep_eight_calls_in_flight_the_offline_model_one(backend, configured, expected):
    settings = dataclasses.replace(Settings(), labeler=backend, labeler_concurrency=configured)
    assert concurrency(settings) == expected


def test_a_negative_concurrency_is_refused():
    with pytest.raises(ValueError):
        concurrency(dataclasses.replace(Settings(), labeler_concurrency=-1))
