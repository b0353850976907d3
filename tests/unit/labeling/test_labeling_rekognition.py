"""The Rekognition backend against botocore's Stubber, which checks every request and
response against the real service model."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from shared.labeling import ImageRejected, LabelResult, RekognitionLabeler

from .photos import photo

RESPONSE = {
    "Labels": [
        {"Name": "Cat", "Confidence": 98.7, "Instances": [],
         "Parents": [{"Name": "Mammal"}, {"Name": "Animal"}, {"Name": "Pet"}],
         "Aliases": [{"Name": "Kitten"}], "Categories": [{"Name": "Animals and Pets"}]},
        {"Name": "Animal", "Confidence": 98.7, "Instances": [], "Parents": [], "Aliases": [],
         "Categories": [{"Name": "Animals and Pets"}]},
        {"Name": "Mammal", "Confidence": 98.7, "Instances": [], "Parents": [{"Name": "Animal"}]},
        {"Name": "Pet", "Confidence": 98.7, "Parents": [{"Name": "Animal"}]},
        {"Name": "Abyssinian", "Confidence": 57.25,
         "Instances": [{"BoundingBox": {"Width": 0.5, "Height": 0.6, "Left": 0.1, "Top": 0.2}, "Confidence": 57.25}],
         "Parents": [{"Name": "Cat"}, {"Name": "Mammal"}, {"Name": "Animal"}, {"Name": "Pet"}]},
    ],
    "LabelModelVersion": "3.0",
}


@pytest.fixture
def client():
    return boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


def test_detect_labels_request_and_mapping(client):
    data = photo("cat")
    labeler = RekognitionLabeler(client)
    with Stubber(client) as stub:
        stub.add_response("detect_labels", RESPONSE,
                          {"Image": {"Bytes": data}, "MaxLabels": 100, "MinConfidence": 50.0})
        result = labeler.label(data)
        stub.assert_no_pending_responses()
    assert isinstance(result, LabelResult)
    assert result.labeler == labeler.id == "rekognition@3.0"
    cat = result.get("Cat")
    assert cat.confidence == 98.7 and cat.parents == ("Mammal", "Animal", "Pet") and cat.aliases == ("Kitten",)
    assert result.get("Abyssinian").parents == ("Cat", "Mammal", "Animal", "Pet")
    assert [lab.name for lab in result.labels][-1] == "Abyssinian"
    assert result.to_dicts()[0].keys() == {"name", "confidence", "parents"}


def test_settings_give_max_labels_and_min_confidence(client, monkeypatch):
    monkeypatch.setenv("LIKELY_MIN_CONFIDENCE", "70")
    monkeypatch.setenv("LIKELY_MAX_LABELS", "2")
    data = photo("cat")
    labeler = RekognitionLabeler(client)
    with Stubber(client) as stub:
        stub.add_response("detect_labels", RESPONSE,
                          {"Image": {"Bytes": data}, "MaxLabels": 2, "MinConfidence": 70.0})
        result = labeler.label(data)
    assert len(result.labels) == 2 and all(lab.confidence >= 70 for lab in result.labels)


def test_missing_version_and_fields(client):
    data = photo("coffee")
    with Stubber(client) as stub:
        stub.add_response("detect_labels", {"Labels": [{"Name": "Cup", "Confidence": 88.0}]})
        result = RekognitionLabeler(client).label(data)
    assert result.labeler == "rekognition@unknown"
    assert result.labels[0].parents == () and result.labels[0].aliases == ()


def test_rejected_image_is_never_sent(client):
    with Stubber(client) as stub:  # no response queued: any call would fail
        with pytest.raises(ImageRejected) as e:
            RekognitionLabeler(client).label(b"not an image")
        stub.assert_no_pending_responses()
    assert e.value.code == "not_an_image"


def test_service_errors_propagate(client):
    data = photo("cat")
    with Stubber(client) as stub:
        stub.add_client_error("detect_labels", "ThrottlingException", "slow down", 400)
        with pytest.raises(ClientError):
            RekognitionLabeler(client).label(data)


def test_images_over_five_megabytes_are_rejected(client):
    labeler = RekognitionLabeler(client)
    assert labeler.max_bytes <= 5 * 1024 * 1024
