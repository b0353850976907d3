"""The offline labeler: what an image shows, from four models under onnxruntime.

- EfficientNet-Lite0 (ImageNet-1k): what the photo is of, with WordNet parents (the label's
  confidence is the model's probability, summed over the classes under a name).
- NanoDet (COCO-80): people and objects, with boxes (objects.py, people.py, things.py).
- BlazeFace and an expression model: faces, smiles (faces.py, people.py).
- MediaPipe's palm detector: hands (hands.py, things.py).
- PP-OCRv4's text detector: text and posters (text.py, things.py).
- "Outdoors" from the classifier's places and outdoor things (scenes.py).

The detectors' confidences are calibrated on real Instagram photos (calibration.py). No
network; nothing but onnxruntime, numpy, Pillow and OpenCV is imported; the ONNX files and
the class table are made by build_assets. See docs/labeling.md.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .blaze import letterbox
from .calibration import confidence as calibrated
from .calibration import digest as calibration_digest
from .faces import FaceDetector
from .hands import HandDetector
from .intake import IntakeImage, load_image
from .objects import SECOND_LOOK as DETECTOR_INPUT
from .objects import ObjectDetector
from .people import people_labels
from .scenes import outdoor_evidence, outdoor_rows, scene_labels
from .text import TextDetector
from .things import hand_labels, object_labels, text_labels
from .types import Label, LabelResult, finish

INPUT_SIZE = 224
CROP_FRACTION = 0.875  # centre crop of the shorter side, as the model was evaluated
# Classes below this probability do not count towards a name's confidence. Without it, the
# near-uniform probabilities of an uninformative image add up over the 398 animal classes
# to "Animal" 40–58 on a flat grey image, grass or the moon (docs/labeling.md).
PROBABILITY_FLOOR = 0.02
# A name over at least this many ImageNet classes (Animal, Clothing, Food, Vehicle, Furniture,
# Dog, ...) is a category: on real Instagram photos the classifier's categories are far more
# often right than its classes, and calibration gives them a curve of their own.
BROAD = 10
# Bump when the rules that turn the models' outputs into labels change without a curve
# changing (calibration.digest() covers the curves): the labeler id carries it, so labels made
# by two sets of rules are never mixed. 2: a confident "Animal" discounts hands as it does people.
RULES_VERSION = 2


class LabelerUnavailable(RuntimeError):
    """The labeler cannot run here (assets missing, no credentials, …)."""


class OfflineLabeler:
    def __init__(self, models_dir: Path | str | None = None, *, min_confidence: float | None = None,
                 max_labels: int | None = None, threads: int | None = None, max_bytes: int | None = None,
                 max_pixels: int | None = None):
        from shared.settings import Settings

        from .build_assets import LABELS_FILE, MANIFEST_FILE, MODEL_FILE
        from .detector_assets import FILES as DETECTOR_FILES

        s = Settings()
        self.models_dir = Path(models_dir) if models_dir else s.models_dir
        self.min_confidence = s.min_confidence if min_confidence is None else min_confidence
        self.max_labels = s.max_labels if max_labels is None else max_labels
        self.max_bytes = s.max_image_bytes if max_bytes is None else max_bytes
        self.max_pixels = s.max_image_pixels if max_pixels is None else max_pixels
        self.threads = s.labeler_threads if threads is None else threads
        needed = [self.models_dir / n for n in (MODEL_FILE, LABELS_FILE, MANIFEST_FILE, *DETECTOR_FILES)]
        missing = [p for p in needed if not p.exists()]
        if missing:
            raise LabelerUnavailable(
                f"the offline labeler's models are missing ({', '.join(str(p) for p in missing)}); run `make install` "
                "(or `python -m shared.labeling.build_assets`) to build them")
        table = json.loads((self.models_dir / LABELS_FILE).read_text())
        self.model = table["model"]
        # The id names what the files were built from and the calibration: labels of two
        # releases or two calibrations are never mixed (the cache, the stored posts and the
        # model carry it), while two installs of one release share it (build_assets.build_inputs).
        inputs = json.loads((self.models_dir / MANIFEST_FILE).read_text()).get("inputs")
        if inputs is None:
            raise LabelerUnavailable(f"{self.models_dir / MANIFEST_FILE} is from an older build; run `make install`")
        mix = hashlib.sha256(json.dumps([inputs, calibration_digest(), RULES_VERSION],
                                        sort_keys=True).encode()).hexdigest()[:8]
        self.version = f"{table['version']}+{mix}"
        self.id = f"offline-{self.model}@{self.version}"
        self._build_index(table["classes"])
        self._outdoor = outdoor_rows([c["name"] for c in table["classes"]])
        from .onnx_session import open_session

        self._session = open_session(self.models_dir / MODEL_FILE, self.threads)
        self._input = self._session.get_inputs()[0].name
        d = self.models_dir
        self._objects = ObjectDetector(d / "nanodet.onnx", self.threads)
        self._faces = FaceDetector(d / "blazeface-back.onnx", d / "emotion.onnx", self.threads)
        self._text = TextDetector(d / "ppocr-det.onnx", self.threads)
        self._hands = HandDetector(d / "handdetect.onnx", self.threads)
        # The detectors run beside the classifier (onnxruntime releases the GIL): on 2 cores an
        # image's latency is then about half the sum of the models' times.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="detect")

    def _build_index(self, classes: list[dict]) -> None:
        """One row per label name: which classes count towards it, and its own parents."""
        names: dict[str, int] = {}
        parents: list[tuple[str, ...]] = []
        members: list[list[int]] = []

        def row(name: str, its_parents) -> int:
            if name not in names:
                names[name] = len(parents)
                parents.append(tuple(its_parents))
                members.append([])
            return names[name]

        for i, c in enumerate(classes):  # leaves first: a leaf's own chain names its parents
            members[row(c["name"], c["parents"])].append(i)
        for i, c in enumerate(classes):
            chain = c["parents"]
            for k, p in enumerate(chain):
                r = row(p, chain[k + 1:])
                if i not in members[r]:
                    members[r].append(i)
        # A parent counts everything its children count (a name shared by two classes takes
        # the first one's parents), so a parent is never less confident than its child.
        sets = [set(x) for x in members]
        changed = True
        while changed:
            changed = False
            for r, ps in enumerate(parents):
                for p in ps:
                    q = names[p]
                    if not sets[r] <= sets[q]:
                        sets[q] |= sets[r]
                        changed = True
        rows_of_class: list[list[int]] = [[] for _ in classes]
        for r, idx in enumerate(sets):
            for i in idx:
                rows_of_class[i].append(r)
        self._names = list(names)
        self._index = names
        self._broad = {n for n, r in names.items() if len(sets[r]) >= BROAD}
        self._parents = parents
        self._rows = [np.array(sorted(x), dtype=np.intp) for x in rows_of_class]

    # --- pipeline -------------------------------------------------------------------
    def intake(self, data: bytes) -> IntakeImage:
        # JPEG draft mode decodes at the smallest scale still at least the detector's input
        return load_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels, draft=DETECTOR_INPUT)

    @staticmethod
    def model_input(img: Image.Image) -> np.ndarray:
        w, h = img.size
        side = min(w, h) * CROP_FRACTION
        left, top = (w - side) / 2, (h - side) / 2
        crop = img.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR, box=(left, top, left + side, top + side),
                          reducing_gap=2.0)
        return np.asarray(crop, dtype=np.uint8)

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]

    def class_probabilities(self, probs: np.ndarray) -> dict[str, float]:
        """Each name's probability: the sum over the classes under it (parents included)."""
        prob = np.zeros(len(self._names), dtype=np.float64)
        for i in np.flatnonzero(probs >= PROBABILITY_FLOOR):  # a handful of classes
            prob[self._rows[i]] += float(probs[i])
        return {self._names[r]: min(float(prob[r]), 1.0) for r in np.flatnonzero(prob >= PROBABILITY_FLOOR)}

    def class_labels(self, classes: dict[str, float]) -> list[Label]:
        """The classifier's labels (from class_probabilities), their confidence calibrated on
        real Instagram photos."""
        out = []
        for name, p in classes.items():
            c = calibrated("category" if name in self._broad else "classifier", p)
            if c >= self.min_confidence:
                out.append(Label(name, c, self._parents[self._index[name]]))
        return out

    def outdoor_evidence(self, probs: np.ndarray) -> float:
        return outdoor_evidence(probs, self._outdoor)

    def _detect(self, img: Image.Image):
        """Start the detectors on the pool; returns a function that waits for them."""
        jobs: list = [self._pool.submit(self._objects.detect, img), self._pool.submit(self._text.detect, img)]
        square = letterbox(img)  # faces and hands share it
        jobs += [self._pool.submit(self._faces.detect, square), self._pool.submit(self._hands.detect, square)]
        return lambda: [j.result() for j in jobs]

    def _result(self, probs: np.ndarray, found) -> LabelResult:
        objects, text, faces, hands = found
        classes = self.class_probabilities(probs)
        animal = classes.get("Animal", 0.0)
        people = people_labels(objects, faces, animal, classes.get("Clothing", 0.0))
        labels = merge(self.class_labels(classes), people, object_labels(objects), text_labels(text),
                       hand_labels(hands, animal), scene_labels(self.outdoor_evidence(probs)))
        return LabelResult(self.id, finish(labels, self.min_confidence, self.max_labels))

    def label(self, data: bytes) -> LabelResult:
        img = self.intake(data).image
        found = self._detect(img)
        probs = self.probabilities(self.model_input(img)[None])[0]
        return self._result(probs, found())

    def label_batch(self, images: list[bytes]) -> list[LabelResult | Exception]:
        """Label several images with one classifier call; a rejected image yields its ImageRejected."""
        out: list[LabelResult | Exception | None] = [None] * len(images)
        inputs, pending, where = [], [], []
        for i, data in enumerate(images):
            try:
                img = self.intake(data).image
            except Exception as e:  # noqa: BLE001 - ImageRejected, or any decode failure: this image's answer
                out[i] = e
                continue
            inputs.append(self.model_input(img))
            pending.append(self._detect(img))
            where.append(i)
        if inputs:
            probs = self.probabilities(np.stack(inputs))
            for k, i in enumerate(where):
                out[i] = self._result(probs[k], pending[k]())
        return out  # type: ignore[return-value]


def merge(*groups: list[Label]) -> list[Label]:
    """One label per name (the most confident source wins), and every parent a label too,
    at least as confident as its child, as Rekognition returns them."""
    best: dict[str, Label] = {}
    for group in groups:
        for label in group:
            old = best.get(label.name)
            if old is None or old.confidence < label.confidence:
                best[label.name] = Label(
                    label.name, round(label.confidence, 3), label.parents or (old.parents if old else ())
                )
    for label in sorted(best.values(), key=lambda lab: -lab.confidence):
        for p in label.parents:
            old = best.get(p)
            if old is None or old.confidence < label.confidence:
                chain = label.parents  # a child's parents, nearest first: p's own follow p
                best[p] = Label(p, label.confidence, old.parents if old else chain[chain.index(p) + 1:])
    return list(best.values())
