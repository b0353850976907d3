"""The offline labeler: EfficientNet-Lite0 (ImageNet-1k) under onnxruntime, WordNet parents,
OpenCV's face cascade for people. No network; nothing but onnxruntime, numpy, Pillow and
OpenCV is imported (the ONNX file and the class table are made by build_assets).

Confidence of a label = 100 × the model's probability that the image shows it: for a class,
its softmax probability; for a name several classes share, or a parent such as "Cat" or
"Animal", the sum of the probabilities of every class under it (a tabby at 0.45, a tiger cat
at 0.30 and an Egyptian cat at 0.15 make "Cat" 90). See docs/labeling.md for why the
default threshold of 50 then keeps what a person would agree with.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .intake import IntakeImage, load_image
from .people import DETECT_SIDE, FaceDetector, people_labels
from .types import Label, LabelResult, finish

INPUT_SIZE = 224
CROP_FRACTION = 0.875  # centre crop of the shorter side, as the model was evaluated
# Classes below this probability do not count towards a name's confidence. Without it, the
# near-uniform probabilities of an uninformative image add up over the 398 animal classes
# to "Animal" 40–58 on a flat grey image, grass or the moon (docs/labeling.md).
PROBABILITY_FLOOR = 0.02


class LabelerUnavailable(RuntimeError):
    """The labeler cannot run here (assets missing, no credentials, …)."""


class OfflineLabeler:
    def __init__(self, models_dir: Path | str | None = None, *, min_confidence: float | None = None,
                 max_labels: int | None = None, threads: int | None = None, max_bytes: int | None = None,
                 max_pixels: int | None = None):
        from shared.settings import Settings

        from .build_assets import LABELS_FILE, MODEL_FILE

        s = Settings()
        self.models_dir = Path(models_dir) if models_dir else s.models_dir
        self.min_confidence = s.min_confidence if min_confidence is None else min_confidence
        self.max_labels = s.max_labels if max_labels is None else max_labels
        self.max_bytes = s.max_image_bytes if max_bytes is None else max_bytes
        self.max_pixels = s.max_image_pixels if max_pixels is None else max_pixels
        self.threads = s.labeler_threads if threads is None else threads
        model_path, labels_path = self.models_dir / MODEL_FILE, self.models_dir / LABELS_FILE
        if not model_path.exists() or not labels_path.exists():
            raise LabelerUnavailable(
                f"the offline labeler's model is missing ({model_path}); run `make install` "
                "(or `python -m shared.labeling.build_assets`) to build it")
        table = json.loads(labels_path.read_text())
        self.model = table["model"]
        self.version = table["version"]
        self.id = f"offline-{self.model}@{self.version}"
        self._build_index(table["classes"])
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if self.threads > 0:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        # no busy-waiting threads: on a shared 2-core machine spinning doubled the latency
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._faces = FaceDetector()
        # Face detection runs beside the classifier (both release the GIL): on 2 cores an
        # image's latency is then decode + max(classifier, faces), not their sum.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="faces")

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
        self._parents = parents
        self._rows = [np.array(sorted(x), dtype=np.intp) for x in rows_of_class]

    # --- pipeline -------------------------------------------------------------------
    def intake(self, data: bytes) -> IntakeImage:
        return load_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels, draft=DETECT_SIDE)

    @staticmethod
    def model_input(img: Image.Image) -> np.ndarray:
        w, h = img.size
        side = min(w, h) * CROP_FRACTION
        left, top = (w - side) / 2, (h - side) / 2
        crop = img.resize((INPUT_SIZE, INPUT_SIZE), Image.BILINEAR, box=(left, top, left + side, top + side),
                          reducing_gap=2.0)
        return np.asarray(crop, dtype=np.uint8)

    @staticmethod
    def detection_input(img: Image.Image) -> np.ndarray:
        w, h = img.size
        scale = DETECT_SIDE / max(w, h)
        small = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR, reducing_gap=2.0) \
            if scale < 1 else img
        return np.asarray(small.convert("L"))

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]

    def _labels(self, probs: np.ndarray, gray: np.ndarray, faces=None) -> tuple[Label, ...]:
        conf = np.zeros(len(self._names), dtype=np.float64)
        for i in np.flatnonzero(probs >= PROBABILITY_FLOOR):  # a handful of classes
            conf[self._rows[i]] += float(probs[i])
        conf = np.minimum(conf, 1.0) * 100.0
        labels: dict[str, Label] = {}
        for r in np.flatnonzero(conf >= min(self.min_confidence, 100.0)):
            name = self._names[r]
            labels[name] = Label(name, round(float(conf[r]), 3), self._parents[r])
        h, w = gray.shape
        if faces is None:
            faces = self._faces.detect(gray)
        for lab in people_labels(faces, w, h):
            old = labels.get(lab.name)
            if old is None or old.confidence < lab.confidence:
                labels[lab.name] = Label(lab.name, round(lab.confidence, 3), lab.parents)
        return finish(list(labels.values()), self.min_confidence, self.max_labels)

    def label(self, data: bytes) -> LabelResult:
        img = self.intake(data).image
        gray = self.detection_input(img)
        faces = self._pool.submit(self._faces.detect, gray)
        probs = self.probabilities(self.model_input(img)[None])[0]
        return LabelResult(self.id, self._labels(probs, gray, faces.result()))

    def label_batch(self, images: list[bytes]) -> list[LabelResult | Exception]:
        """Label several images with one model call; a rejected image yields its ImageRejected."""
        out: list[LabelResult | Exception | None] = [None] * len(images)
        inputs, grays, where = [], [], []
        for i, data in enumerate(images):
            try:
                img = self.intake(data).image
            except Exception as e:  # ImageRejected
                out[i] = e
                continue
            inputs.append(self.model_input(img))
            grays.append(self.detection_input(img))
            where.append(i)
        if inputs:
            faces = [self._pool.submit(self._faces.detect, g) for g in grays]
            probs = self.probabilities(np.stack(inputs))
            for k, i in enumerate(where):
                out[i] = LabelResult(self.id, self._labels(probs[k], grays[k], faces[k].result()))
        return out  # type: ignore[return-value]
