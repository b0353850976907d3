"""One way to open an ONNX model for labeling: CPU, a fixed number of threads, no spinning."""
from __future__ import annotations

from pathlib import Path


def open_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads > 0:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    # no busy-waiting threads: on a shared 2-core machine spinning doubled the latency
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def nms(boxes, scores, iou: float) -> list[int]:
    """Greedy non-maximum suppression: indices of the boxes kept, best first.
    boxes: float array [n, 4] of (x0, y0, x1, y1)."""
    import numpy as np

    order = np.argsort(-scores)
    keep: list[int] = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        x0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) < iou]
    return keep
