"""The Rekognition labeler: boto3 DetectLabels, as the seed called it (MaxLabels 100,
MinConfidence 50 — both from the settings), mapped to the common Label type."""
from __future__ import annotations

from .intake import load_image
from .types import Label, LabelResult, finish

# DetectLabels takes image bytes up to 5 MB; larger images must go through S3.
MAX_REKOGNITION_BYTES = 5 * 1024 * 1024

# Every call ends: seconds to connect and to read a reply, tries in all (botocore's standard
# retry mode, whose back-off between tries is at most a few seconds here). CALL_SECONDS bounds
# one label() call, retries included.
CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS = 5, 20, 3
CALL_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + 10


class RekognitionLabeler:
    paid = True  # each call is billed: the labeler service never labels a post twice (services/labeler)

    def __init__(self, client=None, *, settings=None, min_confidence: float | None = None,
                 max_labels: int | None = None):
        from shared.settings import Settings

        s = settings or Settings()
        self.min_confidence = s.min_confidence if min_confidence is None else min_confidence
        self.max_labels = s.max_labels if max_labels is None else max_labels
        self.max_bytes = min(s.max_image_bytes, MAX_REKOGNITION_BYTES)
        self.max_pixels = s.max_image_pixels
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS})
            kwargs = {"region_name": s.aws_region, "config": config}
            if s.rekognition_endpoint_url:
                kwargs["endpoint_url"] = s.rekognition_endpoint_url
            client = boto3.client("rekognition", **kwargs)  # credentials: boto3's usual chain
        self.client = client
        self.id = "rekognition"  # until the service tells its LabelModelVersion

    def label(self, data: bytes) -> LabelResult:
        load_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)  # reject before paying
        resp = self.client.detect_labels(Image={"Bytes": data}, MaxLabels=int(self.max_labels),
                                         MinConfidence=float(self.min_confidence))
        return self.result(resp)

    def result(self, resp: dict) -> LabelResult:
        version = resp.get("LabelModelVersion") or "unknown"
        labeler = f"rekognition@{version}"
        self.id = labeler
        labels = [
            Label(
                name=item["Name"],
                confidence=min(100.0, max(0.0, float(item.get("Confidence", 0.0)))),
                parents=tuple(p["Name"] for p in item.get("Parents", []) if p.get("Name")),
                aliases=tuple(a["Name"] for a in item.get("Aliases", []) if a.get("Name")),
            )
            for item in resp.get("Labels", [])
        ]
        return LabelResult(labeler, finish(labels, self.min_confidence, self.max_labels))
